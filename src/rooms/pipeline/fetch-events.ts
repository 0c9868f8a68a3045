/**
 * Fetching events of one room from another server, for gap filling (fill-gaps.ts): the
 * federation reads of server-server-api.md "Backfilling and retrieving missing events",
 * "Retrieving events" and "Retrieving event authorisation information". Every event that
 * comes back passes receipt checks 1–3 (check-signatures.ts) in one batch per answer before
 * anyone sees it; failures are dropped and logged.
 *
 * Fetched events are historical, so the prev/auth event count limits are not applied to them
 * (backfill.yaml: such responses "MUST NOT" be rejected for those counts).
 *
 * A `FetchBudget` bounds the work one gap-filling pass may cause: a deadline shared by every
 * request (passed down as an AbortSignal) and a cap on events fetched one by one.
 */
import { withQuery } from "../../outbound/federation-client.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { JsonValue, RoomEvent } from "../../events/types.js";
import type { Logger } from "../../log.js";
import { checkFormatAndSignatures, type CheckDeps } from "./check-signatures.js";

/** The part of the federation client this needs. */
export interface EventTransport {
  get<T = unknown>(destination: string, pathAndQuery: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T>;
  post<T = unknown>(destination: string, pathAndQuery: string, body?: JsonValue, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T>;
}

export class FetchBudget {
  private readonly deadlineAt: number;
  private deadline: AbortSignal | undefined;
  private fetched = 0;

  constructor(
    deadlineMs: number,
    readonly maxEventsById: number,
  ) {
    this.deadlineAt = Date.now() + deadlineMs;
  }

  /** Aborts at the deadline (created on first use: most passes fetch nothing). */
  get signal(): AbortSignal {
    return (this.deadline ??= AbortSignal.timeout(Math.max(1, this.deadlineAt - Date.now())));
  }

  /** How many more events may be fetched one by one. */
  get remaining(): number {
    return Math.max(0, this.maxEventsById - this.fetched);
  }

  take(n: number): number {
    const granted = Math.min(n, this.remaining);
    this.fetched += granted;
    return granted;
  }

  get expired(): boolean {
    return Date.now() >= this.deadlineAt;
  }
}

export interface EventFetcherOptions {
  readonly check: CheckDeps;
  readonly transport: EventTransport;
  readonly roomId: string;
  readonly version: RoomVersion;
  /** The server asked (the origin of the transaction being processed). */
  readonly server: string;
  readonly budget: FetchBudget;
  readonly log: Logger;
  /** Per-request timeout (the budget's deadline applies too). */
  readonly requestTimeoutMs?: number;
  /** Requests in flight at once for `events()`. */
  readonly concurrency?: number;
}

const FED = "/_matrix/federation/v1";

export class EventFetcher {
  private readonly timeoutMs: number;
  private readonly concurrency: number;

  constructor(private readonly o: EventFetcherOptions) {
    this.timeoutMs = o.requestTimeoutMs ?? 10_000;
    this.concurrency = o.concurrency ?? 5;
  }

  /** How many more events `events()` may fetch in this pass. */
  get remainingById(): number {
    return this.o.budget.remaining;
  }

  /** POST /get_missing_events/{roomId} (backfill.yaml). */
  async missingEvents(earliest: readonly string[], latest: readonly string[], limit: number, minDepth: number): Promise<RoomEvent[]> {
    const body = await this.o.transport.post<unknown>(
      this.o.server,
      `${FED}/get_missing_events/${encodeURIComponent(this.o.roomId)}`,
      { earliest_events: [...earliest], latest_events: [...latest], limit, min_depth: minDepth },
      this.requestOptions(),
    );
    return this.verify(arrayField(body, "events").slice(0, limit));
  }

  /** GET /event_auth/{roomId}/{eventId} (event_auth.yaml): the event's whole auth chain. */
  async authChain(eventId: string): Promise<RoomEvent[]> {
    const body = await this.o.transport.get<unknown>(
      this.o.server,
      `${FED}/event_auth/${encodeURIComponent(this.o.roomId)}/${encodeURIComponent(eventId)}`,
      this.requestOptions(),
    );
    return this.verify(arrayField(body, "auth_chain"));
  }

  /** GET /state_ids/{roomId}?event_id= (events.yaml): the state before the event, as IDs. */
  async stateIds(eventId: string): Promise<{ stateIds: string[]; authChainIds: string[] }> {
    const body = await this.o.transport.get<unknown>(
      this.o.server,
      withQuery(`${FED}/state_ids/${encodeURIComponent(this.o.roomId)}`, { event_id: eventId }),
      this.requestOptions(),
    );
    const stateIds = arrayField(body, "pdu_ids");
    const authChainIds = arrayField(body, "auth_chain_ids");
    if (!stateIds.every(isString) || !authChainIds.every(isString)) throw new Error("malformed /state_ids response");
    return { stateIds, authChainIds };
  }

  /** GET /state/{roomId}?event_id= (events.yaml): the state before the event and its auth chain. */
  async state(eventId: string): Promise<RoomEvent[]> {
    const body = await this.o.transport.get<unknown>(
      this.o.server,
      withQuery(`${FED}/state/${encodeURIComponent(this.o.roomId)}`, { event_id: eventId }),
      { ...this.requestOptions(), timeoutMs: Math.max(this.timeoutMs, 30_000) },
    );
    return this.verify([...arrayField(body, "pdus"), ...arrayField(body, "auth_chain")]);
  }

  /**
   * GET /event/{eventId} (events.yaml) for each ID, `concurrency` at a time, within the
   * budget; every answer must be the event asked for. Unobtainable events are left out.
   */
  async events(ids: readonly string[]): Promise<RoomEvent[]> {
    const wanted = ids.slice(0, this.o.budget.take(ids.length));
    if (wanted.length < ids.length) this.o.log.info({ room_id: this.o.roomId, skipped: ids.length - wanted.length }, "event fetch budget exhausted");
    const raws: unknown[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < wanted.length && !this.o.budget.expired) {
        const id = wanted[next++]!;
        try {
          const body = await this.o.transport.get<unknown>(this.o.server, `${FED}/event/${encodeURIComponent(id)}`, this.requestOptions());
          const pdu = arrayField(body, "pdus")[0];
          if (pdu !== undefined) raws.push(pdu);
        } catch (err) {
          this.o.log.debug({ room_id: this.o.roomId, event_id: id, err: message(err) }, "event fetch failed");
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, wanted.length) }, worker));
    const asked = new Set(wanted);
    return (await this.verify(raws)).filter((ev) => asked.has(ev.eventId));
  }

  /** Checks 1–3 for a whole answer at once; only the events of this room that pass are kept. */
  private async verify(raws: readonly unknown[]): Promise<RoomEvent[]> {
    if (raws.length === 0) return [];
    const checks = await checkFormatAndSignatures(
      this.o.check,
      raws.map((raw) => ({ raw, version: this.o.version, roomId: this.o.roomId })),
      { relaxCounts: true },
    );
    const out: RoomEvent[] = [];
    const seen = new Set<string>();
    for (const c of checks) {
      if (!c.ok) {
        this.o.log.info({ room_id: this.o.roomId, event_id: c.eventId, reason: c.reason, server: this.o.server }, "fetched event dropped");
        continue;
      }
      if (c.event.roomId !== this.o.roomId || seen.has(c.event.eventId)) continue;
      seen.add(c.event.eventId);
      out.push(c.event);
    }
    return out;
  }

  private requestOptions(): { timeoutMs: number; signal: AbortSignal } {
    return { timeoutMs: this.timeoutMs, signal: this.o.budget.signal };
  }
}

function arrayField(body: unknown, field: string): unknown[] {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Error(`malformed response: not an object`);
  const v = (body as Record<string, unknown>)[field];
  if (!Array.isArray(v)) throw new Error(`malformed response: '${field}' is not an array`);
  return v;
}

function isString(v: unknown): v is string {
  return typeof v === "string";
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
