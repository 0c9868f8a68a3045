/**
 * Filling in what an incoming batch of one room's events refers to but we do not hold, before
 * the batch reaches the room's actor (server-server-api.md "Backfilling and retrieving missing
 * events", "Retrieving event authorisation information", "Retrieving events"):
 *
 *   1. unknown prev events → POST /get_missing_events to the sender, with our forward
 *      extremities as `earliest_events` and the batch events that have unknown prevs as
 *      `latest_events`; what comes back is processed with the batch, before it;
 *   2. unknown auth events (of the batch and of what step 1 found) → GET /event_auth of an
 *      event that cites them, then GET /event for any still missing (walking their auth
 *      events); stored as outliers after check 4 (persist-outliers.ts);
 *   3. prev events still unknown (a gap get_missing_events did not bridge) → GET /state_ids at
 *      the prev event P, GET /event for P and for the state and auth-chain events we lack
 *      (GET /state instead when there are many), then P is stored with that state as its state
 *      before (place-at-gap.ts), so the events building on it can be placed.
 *
 * Network calls happen here, never inside the actor: the room keeps serving other work while
 * we wait on a remote server. Writes go through short actor jobs (`exclusive`), each one LMDB
 * write. Everything is bounded: one deadline and one count of events fetched per pass
 * (`FetchBudget`), at most `maxGaps` gaps resolved per pass. What cannot be filled is not an
 * error here: the actor then reports the event "unplaced" with the reason.
 *
 * Everything fetched is asked of `server` (the transaction's origin): it sent us events that
 * build on these, so it has them.
 */
import type { RoomEvent } from "../../events/types.js";
import type { Logger } from "../../log.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import type { RoomService } from "../room-service.js";
import type { CheckDeps } from "./check-signatures.js";
import { EventFetcher, FetchBudget, type EventTransport } from "./fetch-events.js";
import { persistOutliers } from "./persist-outliers.js";
import { placeAtGap } from "./place-at-gap.js";
import type { IncomingEvent } from "./receive-events.js";
import { sortEventsTopologically } from "./sort-events.js";

export interface GapLimits {
  /** get_missing_events `limit` (the spec's default is 10). */
  readonly missingEventsLimit: number;
  /** Gaps resolved through /state_ids per pass. */
  readonly maxGaps: number;
  /** /event_auth requests per pass before falling back to /event. */
  readonly maxAuthChainRequests: number;
  /** Events fetched one by one (/event) per pass; more → /state for a gap. */
  readonly maxEventsById: number;
  /** Rounds of walking unknown auth events through /event. */
  readonly maxAuthRounds: number;
  /** Deadline for the whole pass. */
  readonly deadlineMs: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_GAP_LIMITS: GapLimits = {
  missingEventsLimit: 10,
  maxGaps: 5,
  maxAuthChainRequests: 3,
  maxEventsById: 200,
  maxAuthRounds: 5,
  deadlineMs: 30_000,
  requestTimeoutMs: 10_000,
};

/** Run a write inside the room actor (a short job: no network inside). */
type WriteJob = <T>(fn: (w: WriteBatch) => T) => Promise<T>;

export interface GapFillDeps {
  readonly rooms: RoomService;
  readonly check: CheckDeps;
  readonly transport: EventTransport;
  readonly log: Logger;
  readonly limits?: Partial<GapLimits>;
}

export interface GapFillResult {
  /** The events for the actor: what step 1 fetched and the batch, in topological order. */
  readonly events: IncomingEvent[];
  /** IDs among `events` that were fetched (not part of the caller's batch). */
  readonly fetched: ReadonlySet<string>;
}

export async function fillGaps(deps: GapFillDeps, roomId: string, server: string, batch: readonly IncomingEvent[]): Promise<GapFillResult> {
  const limits = { ...DEFAULT_GAP_LIMITS, ...deps.limits };
  const ctx = deps.rooms.context(roomId);
  if (!ctx) return { events: [...batch], fetched: new Set() };
  const storage = deps.rooms.storage;
  const log = deps.log.child({ room_id: roomId, origin: server });
  const budget = new FetchBudget(limits.deadlineMs, limits.maxEventsById);
  const fetcher = new EventFetcher({
    check: deps.check,
    transport: deps.transport,
    roomId,
    version: ctx.version,
    server,
    budget,
    log,
    requestTimeoutMs: limits.requestTimeoutMs,
  });

  const events = new Map<string, IncomingEvent>(batch.map((it) => [it.event.eventId, it]));
  const fetched = new Set<string>();
  /** Held with a place in the DAG: usable as a prev event. */
  const placed = (id: string): boolean => {
    const rec = storage.events.getEvent(id);
    return rec !== undefined && rec.status !== "outlier" && rec.stateAfter !== null;
  };
  const unknownPrevs = (): Set<string> => {
    const out = new Set<string>();
    for (const { event } of events.values()) for (const p of event.prevEvents) if (!events.has(p) && !placed(p)) out.add(p);
    return out;
  };
  const job: WriteJob = (fn) => deps.rooms.actor(roomId).exclusive(() => storage.write(fn));

  // 1. get_missing_events
  const missing = unknownPrevs();
  if (missing.size > 0) {
    const heads = storage.rooms.getHeads(ctx.roomNid);
    const earliest = storage.events.eventIdsOf(heads.extremities);
    // History below all our extremities is either held or a long-partitioned branch, which is
    // cheaper to bridge with /state_ids than by walking it (the spec's default is 0).
    const depths = heads.extremities.map((nid) => storage.events.getEventByNid(nid)?.depth ?? 0);
    const minDepth = depths.length > 0 ? Math.min(...depths) : 0;
    const latest = [...events.values()].filter(({ event }) => event.prevEvents.some((p) => missing.has(p))).map(({ event }) => event.eventId);
    try {
      const found = await fetcher.missingEvents(earliest, latest, limits.missingEventsLimit, minDepth);
      for (const ev of found) {
        if (events.has(ev.eventId) || placed(ev.eventId)) continue;
        events.set(ev.eventId, { event: ev });
        fetched.add(ev.eventId);
      }
      log.debug({ asked: latest.length, found: found.length }, "get_missing_events");
    } catch (err) {
      log.info({ err: message(err) }, "get_missing_events failed");
    }
  }

  // 2. auth events
  const authFetched = await fetchMissingAuth(fetcher, limits, [...events.values()].map((it) => it.event), (id) => events.has(id) || storage.events.hasEvent(id), log);
  if (authFetched.length > 0) {
    const r = await job((w) => persistOutliers(deps.rooms.context(roomId)!, w, authFetched));
    log.debug({ stored: r.stored, rejected: r.rejected, missing_auth: r.missingAuth.length }, "auth events stored as outliers");
  }

  // 3. gaps get_missing_events did not bridge
  const gaps = [...unknownPrevs()];
  if (gaps.length > limits.maxGaps) log.info({ gaps: gaps.length, max: limits.maxGaps }, "too many gaps; resolving the first ones only");
  for (const prev of gaps.slice(0, limits.maxGaps)) {
    if (budget.expired) break;
    try {
      await resolveGap(deps, fetcher, limits, roomId, prev, job, log);
    } catch (err) {
      log.info({ event_id: prev, err: message(err) }, "could not resolve the state at a gap");
    }
  }

  return { events: sortEventsTopologically([...events.values()]), fetched };
}

/**
 * Step 2: auth events cited by `events` and held nowhere. /event_auth gives a whole chain in
 * one request; what it lacks is fetched by ID, following the fetched events' own auth events.
 */
async function fetchMissingAuth(
  fetcher: EventFetcher,
  limits: GapLimits,
  events: readonly RoomEvent[],
  known: (id: string) => boolean,
  log: Logger,
): Promise<RoomEvent[]> {
  const fetched = new Map<string, RoomEvent>();
  const have = (id: string): boolean => fetched.has(id) || known(id);
  const missingOf = (evs: Iterable<RoomEvent>): Set<string> => {
    const out = new Set<string>();
    for (const ev of evs) for (const a of ev.authEvents) if (!have(a)) out.add(a);
    return out;
  };

  let missing = missingOf(events);
  if (missing.size === 0) return [];
  const citing = events.filter((ev) => ev.authEvents.some((a) => missing.has(a)));
  for (const ev of citing.slice(0, limits.maxAuthChainRequests)) {
    try {
      for (const a of await fetcher.authChain(ev.eventId)) if (!have(a.eventId)) fetched.set(a.eventId, a);
    } catch (err) {
      log.info({ event_id: ev.eventId, err: message(err) }, "event_auth failed");
    }
    missing = missingOf([...events, ...fetched.values()]);
    if (missing.size === 0) break;
  }
  for (let round = 0; missing.size > 0 && round < limits.maxAuthRounds; round++) {
    const got = await fetcher.events([...missing]);
    if (got.length === 0) break;
    for (const a of got) fetched.set(a.eventId, a);
    missing = missingOf(got);
  }
  return [...fetched.values()];
}

/** Step 3 for one unknown prev event. */
async function resolveGap(
  deps: GapFillDeps,
  fetcher: EventFetcher,
  limits: GapLimits,
  roomId: string,
  prevId: string,
  job: WriteJob,
  log: Logger,
): Promise<void> {
  const storage = deps.rooms.storage;
  const { stateIds, authChainIds } = await fetcher.stateIds(prevId);
  const held = storage.events.getEvent(prevId);
  const prev = held ? deps.rooms.loader.byNid(held.nid) : (await fetcher.events([prevId]))[0];
  if (!prev) throw new Error("the prev event itself could not be fetched");

  const need = [...new Set([...stateIds, ...authChainIds, ...prev.authEvents])].filter((id) => id !== prevId && !storage.events.hasEvent(id));
  let found: RoomEvent[] = [];
  if (need.length > 0) {
    // Many unknown events: one /state answer beats that many /event round trips.
    if (need.length > fetcher.remainingById) {
      const wanted = new Set(need);
      found = (await fetcher.state(prevId)).filter((ev) => wanted.has(ev.eventId));
    } else {
      found = await fetcher.events(need);
    }
  }
  // Auth events of what was found that are still unknown (their auth chains may reach past
  // the state's), so the state events pass check 4.
  const foundIds = new Set(found.map((f) => f.eventId));
  const extra = await fetchMissingAuth(fetcher, limits, [prev, ...found], (id) => foundIds.has(id) || storage.events.hasEvent(id), log);
  const placement = await job((w) => {
    const ctx = deps.rooms.context(roomId)!;
    persistOutliers(ctx, w, [...extra, ...found]);
    return placeAtGap(ctx, w, prev, stateIds);
  });
  log.debug({ event_id: prevId, state: stateIds.length, fetched: found.length + extra.length, placement: placement.status }, "gap resolved");
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
