/**
 * User-interactive authentication (client-server API "User-Interactive Authentication API").
 *
 * An endpoint states its flows; `UiaSessions.authenticate` answers:
 * - `{ok: true}` once every stage of one flow is complete, in order;
 * - otherwise `{ok: false, response}`: 401 with `{flows, params, session, completed?}`, plus
 *   `errcode`/`error` when the last attempt failed (e.g. a wrong password, M_FORBIDDEN).
 * The first request (no `auth`) always gets the 401, even when a flow is only m.login.dummy
 * (the spec's note: "they must still give a 401 response to requests with no auth data").
 *
 * Sessions live in memory (they only span one operation's round trips), expire after
 * `ttlMs`, and are bound to the operation (`action`, e.g. "register" or
 * "delete_devices:@alice:example.org") so a session completed for one operation cannot
 * authorise another. A completed session stays valid until it expires: "Completed stages
 * cannot be retried ... servers must return ... the result of the API call if all stages were
 * completed when a client retries".
 *
 * Stages implemented: m.login.dummy, m.login.password (identifier must be the operation's user).
 */
import type { Accounts } from "../../accounts/accounts.js";
import { newSessionId } from "../../accounts/secrets.js";
import type { App } from "../../app.js";
import { accountsOf } from "../../accounts/of-app.js";
import { Errors, isMatrixError, type MatrixError } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import { json, type JsonResponse } from "../../http/request.js";
import { loginUserId } from "./identifier.js";
import { isJsonObject } from "../../json.js";

export const DUMMY = "m.login.dummy";
export const PASSWORD = "m.login.password";

export interface UiaFlow {
  readonly stages: readonly string[];
}

export interface UiaSpec {
  /** The operation the session is bound to. */
  readonly action: string;
  readonly flows: readonly UiaFlow[];
  readonly params?: JsonObject;
  /** The user who must authenticate (m.login.password); absent for registration. */
  readonly userId?: string;
}

export type UiaOutcome = { readonly ok: true } | { readonly ok: false; readonly response: JsonResponse };

interface Session {
  readonly action: string;
  readonly userId: string | undefined;
  readonly completed: string[];
  readonly expiresAt: number;
}

export interface UiaOptions {
  readonly ttlMs?: number;
  readonly maxSessions?: number;
  readonly now?: () => number;
}

export class UiaSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(
    private readonly accounts: Accounts,
    opts: UiaOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 30 * 60_000;
    this.maxSessions = opts.maxSessions ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Process the request's `auth` dict (`undefined` when the body had none). */
  async authenticate(auth: unknown, spec: UiaSpec): Promise<UiaOutcome> {
    if (auth === undefined || auth === null) return this.challenge(this.open(spec), spec);
    if (!isJsonObject(auth)) throw Errors.badJson("auth must be an object");
    const dict = auth as Record<string, unknown>;
    if (dict.session !== undefined && typeof dict.session !== "string") throw Errors.badJson("auth.session must be a string");
    if (dict.type !== undefined && typeof dict.type !== "string") throw Errors.badJson("auth.type must be a string");

    let sessionId: string;
    let session: Session;
    if (typeof dict.session === "string") {
      const found = this.get(dict.session);
      if (found === undefined || found.action !== spec.action || found.userId !== spec.userId) {
        throw Errors.unknown("Unknown or expired auth session");
      }
      sessionId = dict.session;
      session = found;
    } else {
      sessionId = this.open(spec);
      session = this.sessions.get(sessionId)!;
    }
    if (isComplete(session, spec)) return { ok: true };
    // No type: a retry for a stage completed out of band; none of ours are, so ask again.
    if (dict.type === undefined) return this.challenge(sessionId, spec);

    const stage = dict.type as string;
    if (!nextStages(session, spec).has(stage)) {
      return this.challenge(sessionId, spec, Errors.forbidden(`Stage ${stage} is not the next stage of any flow`));
    }
    try {
      await this.runStage(stage, dict, spec);
    } catch (err) {
      if (isMatrixError(err)) return this.challenge(sessionId, spec, err);
      throw err;
    }
    session.completed.push(stage);
    return isComplete(session, spec) ? { ok: true } : this.challenge(sessionId, spec);
  }

  private async runStage(stage: string, dict: Record<string, unknown>, spec: UiaSpec): Promise<void> {
    switch (stage) {
      case DUMMY:
        return;
      case PASSWORD: {
        if (spec.userId === undefined) throw Errors.forbidden("Password authentication needs a user");
        if (typeof dict.password !== "string") throw Errors.badJson("auth.password must be a string");
        const userId = loginUserId(this.accounts, dict);
        if (userId !== spec.userId) throw Errors.forbidden("You can only authenticate as yourself");
        if (!(await this.accounts.checkPassword(userId, dict.password))) throw Errors.forbidden("Invalid password");
        return;
      }
      default:
        throw Errors.forbidden(`Unsupported authentication type ${stage}`);
    }
  }

  private open(spec: UiaSpec): string {
    this.sweep();
    const id = newSessionId();
    this.sessions.set(id, { action: spec.action, userId: spec.userId, completed: [], expiresAt: this.now() + this.ttlMs });
    return id;
  }

  private get(id: string): Session | undefined {
    const s = this.sessions.get(id);
    if (s === undefined) return undefined;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  private sweep(): void {
    if (this.sessions.size < this.maxSessions) return;
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
    // Still full: drop the oldest (Map iteration order is insertion order).
    for (const id of this.sessions.keys()) {
      if (this.sessions.size < this.maxSessions) break;
      this.sessions.delete(id);
    }
  }

  private challenge(sessionId: string, spec: UiaSpec, error?: MatrixError): UiaOutcome {
    const session = this.sessions.get(sessionId);
    const body: JsonObject = {
      flows: spec.flows.map((f) => ({ stages: [...f.stages] })),
      params: spec.params ?? {},
      session: sessionId,
    };
    if (session && session.completed.length > 0) body.completed = [...session.completed];
    return { ok: false, response: json(error ? { ...error.body(), ...body } : body, 401) };
  }
}

function isComplete(session: Session, spec: UiaSpec): boolean {
  return spec.flows.some((f) => f.stages.length === session.completed.length && f.stages.every((s, i) => session.completed[i] === s));
}

/** Stages that continue some flow whose prefix is what the session completed. */
function nextStages(session: Session, spec: UiaSpec): Set<string> {
  const out = new Set<string>();
  for (const f of spec.flows) {
    if (f.stages.length > session.completed.length && session.completed.every((s, i) => f.stages[i] === s)) {
      out.add(f.stages[session.completed.length]!);
    }
  }
  return out;
}

const instances = new WeakMap<App, UiaSessions>();

/** The server's UIA sessions (one per App). */
export function uiaOf(app: App): UiaSessions {
  let uia = instances.get(app);
  if (uia === undefined) {
    uia = new UiaSessions(accountsOf(app));
    instances.set(app, uia);
  }
  return uia;
}
