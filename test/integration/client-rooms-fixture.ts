/**
 * Shared by the client-rooms*.test.ts files: a small client-server API caller, user
 * registration through the real UIA dummy flow, and polling for federation to settle.
 */
import { expect } from "vitest";
import type { ConfigOverrides } from "../../src/config.js";
import { request, type TestResponse } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

export const V3 = "/_matrix/client/v3";

/** Open registration and no practical rate limit: tests send many requests quickly. */
export const CLIENT_TEST_OVERRIDES: ConfigOverrides = {
  registration: { open: true },
  limits: { client_rate_per_second: 10_000, client_rate_burst: 10_000 },
} as ConfigOverrides;

export interface Session {
  readonly user_id: string;
  readonly access_token: string;
  readonly device_id: string;
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly method?: string;
}

export class ClientApi {
  private txn = 0;

  constructor(readonly baseUrl: string) {}

  call(path: string, opts: CallOptions = {}): Promise<TestResponse> {
    const method = opts.method ?? (opts.body !== undefined ? "POST" : "GET");
    return request(`${this.baseUrl}${path.startsWith("/_matrix") ? path : V3 + path}`, {
      method,
      headers: {
        ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.body !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      ...(opts.body !== undefined ? { body: typeof opts.body === "string" ? opts.body : (opts.body as object) } : {}),
    });
  }

  /** Call and expect 200; returns the JSON body. */
  async ok<T = Record<string, unknown>>(path: string, opts: CallOptions = {}): Promise<T> {
    const res = await this.call(path, opts);
    if (res.status !== 200) throw new Error(`${opts.method ?? (opts.body !== undefined ? "POST" : "GET")} ${path} → ${res.status} ${res.text}`);
    return res.json<T>();
  }

  /** Call and expect an error; returns `{status, errcode}`. */
  async fails(path: string, opts: CallOptions = {}): Promise<{ status: number; errcode: string; error: string }> {
    const res = await this.call(path, opts);
    expect(res.status, `${path}: ${res.text}`).toBeGreaterThanOrEqual(400);
    const body = res.json<{ errcode: string; error: string }>();
    return { status: res.status, errcode: body.errcode, error: body.error };
  }

  async register(username: string, password = "correct horse battery"): Promise<Session> {
    const challenge = await this.call("/register", { body: { username, password } });
    expect(challenge.status).toBe(401);
    const session = challenge.json<{ session: string }>().session;
    return this.ok<Session>("/register", { body: { username, password, auth: { type: "m.login.dummy", session } } });
  }

  async login(username: string, password = "correct horse battery"): Promise<Session> {
    return this.ok<Session>("/login", { body: { type: "m.login.password", identifier: { type: "m.id.user", user: username }, password } });
  }

  async createRoom(s: Session, body: Record<string, unknown> = {}): Promise<string> {
    return (await this.ok<{ room_id: string }>("/createRoom", { token: s.access_token, body })).room_id;
  }

  async send(s: Session, roomId: string, content: Record<string, unknown>, type = "m.room.message", txnId?: string): Promise<string> {
    const txn = txnId ?? `t${Date.now()}-${++this.txn}`;
    const path = `/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${encodeURIComponent(txn)}`;
    return (await this.ok<{ event_id: string }>(path, { token: s.access_token, method: "PUT", body: content })).event_id;
  }

  async text(s: Session, roomId: string, body: string): Promise<string> {
    return this.send(s, roomId, { msgtype: "m.text", body });
  }

  async putState(s: Session, roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<string> {
    const path = `/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`;
    return (await this.ok<{ event_id: string }>(path, { token: s.access_token, method: "PUT", body: content })).event_id;
  }

  room(roomId: string, tail: string): string {
    return `/rooms/${encodeURIComponent(roomId)}${tail}`;
  }
}

export type ClientEvent = {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
  room_id?: string;
  redacts?: string;
  origin_server_ts: number;
  unsigned?: Record<string, unknown>;
};

export interface MessagesPage {
  start: string;
  end?: string;
  chunk: ClientEvent[];
  state?: ClientEvent[];
}

/** Poll until `cond` holds (federation is asynchronous); no timing assertion, just a ceiling. */
export { waitFor } from "../helpers/wait.js";

export interface ServerWithUsers {
  readonly server: TestServer;
  readonly api: ClientApi;
  readonly alice: Session;
  readonly bob: Session;
  readonly carol: Session;
}

/** One Conflux for a test file, with three registered users. */
export async function startWithUsers(): Promise<ServerWithUsers> {
  const server = await startTestServer({ overrides: CLIENT_TEST_OVERRIDES });
  const api = new ClientApi(server.clientUrl);
  return { server, api, alice: await api.register("alice"), bob: await api.register("bob"), carol: await api.register("carol") };
}
