/**
 * Backfill: history from before we joined, or any gap behind our earliest events
 * (server-server-api.md "Backfilling and retrieving missing events"; backfill.yaml). The
 * client /messages code calls `backfillRoom` when it reaches the start of local history.
 *
 *   1. GET /backfill/{roomId}?v=…&limit=N from a server in the room (the senders' servers of
 *      the events we backfill from first: they had them), until one answers with events;
 *   2. checks 1–3 on the answer, without the prev/auth count limits ("the response of backfill
 *      MUST NOT be validated on these specific restrictions");
 *   3. network before the actor: auth events we lack (GET /event_auth), and for the oldest
 *      events, whose prev events we do not hold, the state before them (GET /state_ids, then
 *      the events we lack by /event, or all of /state when there are many);
 *   4. one write in the room's actor: fetched events as outliers (check 4), then the batch
 *      oldest first: the state before each (from its prev events, or the fetched state at a
 *      gap), checks 4 and 5, stored as backfilled: a negative stream ordering (before
 *      everything in the timeline, outside /sync), never a forward extremity, and no soft
 *      failure (check 6 is about the current state; this is history).
 *
 * Events that cannot be placed (state unobtainable) are left out; a later call may get them.
 */
import type { App } from "../app.js";
import { Errors } from "../errors.js";
import { domainOf } from "../events/ids.js";
import type { RoomEvent } from "../events/types.js";
import { isServerAllowedInRoom } from "../federation/acl.js";
import { logger } from "../log.js";
import { checkAuthRules } from "../rooms/auth/check-auth.js";
import { applyEarlierRedactions, applyRedaction } from "../rooms/pipeline/apply-redactions.js";
import { checkAuthEvents } from "../rooms/pipeline/check-auth-events.js";
import { EventFetcher, FetchBudget } from "../rooms/pipeline/fetch-events.js";
import { persistOutliers } from "../rooms/pipeline/persist-outliers.js";
import { placeAtGap } from "../rooms/pipeline/place-at-gap.js";
import { sortEventsTopologically } from "../rooms/pipeline/sort-events.js";
import { stateBeforeEvent } from "../rooms/pipeline/state-before.js";
import type { RoomContext } from "../rooms/room-context.js";
import { StateView } from "../rooms/state-view.js";
import type { NodeId } from "../storage/state-node.js";
import type { WriteBatch } from "../storage/write-batch.js";
import { withQuery } from "./federation-client.js";
import { verifyRemoteEvents } from "./membership/verify-remote-events.js";

const log = logger("outbound.backfill");

export interface BackfillOptions {
  /** Servers to ask, best first (default: the senders' servers, then the room's servers). */
  readonly servers?: readonly string[];
  /** Gaps (oldest events with unknown prev events) whose state is fetched per call. */
  readonly maxGaps?: number;
  /** Deadline for the fetches of one call. */
  readonly deadlineMs?: number;
}

export interface BackfillResult {
  /** The server that answered, if any did. */
  readonly server: string | undefined;
  /** IDs of the events stored (accepted or rejected), oldest first. */
  readonly stored: readonly string[];
}

const MAX_LIMIT = 500;

export async function backfillRoom(app: App, roomId: string, fromEventIds: readonly string[], limit: number, opts: BackfillOptions = {}): Promise<BackfillResult> {
  const ctx = app.rooms.context(roomId);
  if (!ctx) throw Errors.notFound(`Unknown room ${roomId}`);
  if (fromEventIds.length === 0) return { server: undefined, stored: [] };
  const n = Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
  for (const server of backfillServers(app, ctx, fromEventIds, opts.servers)) {
    try {
      const res = await app.federation.get<unknown>(server, withQuery(`/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}`, { v: fromEventIds, limit: n }));
      const pdus = res && typeof res === "object" ? (res as { pdus?: unknown }).pdus : undefined;
      if (!Array.isArray(pdus)) throw new Error("backfill answer has no pdus array");
      const checked = await verifyRemoteEvents(app, pdus.slice(0, n), ctx.version, roomId, { relaxCounts: true });
      if (checked.dropped.length > 0) log.info({ room_id: roomId, server, dropped: checked.dropped.slice(0, 10), count: checked.dropped.length }, "backfilled events dropped");
      const events = checked.events.filter((e): e is RoomEvent => e !== undefined);
      if (events.length === 0) continue;
      const stored = await placeBackfilled(app, roomId, server, events, opts);
      log.info({ room_id: roomId, server, received: events.length, stored: stored.length }, "backfilled");
      return { server, stored };
    } catch (err) {
      log.info({ room_id: roomId, server, err: String(err) }, "backfill from server failed");
    }
  }
  return { server: undefined, stored: [] };
}

/** Where to ask: given servers, else the servers of the events' senders, then the room's servers. */
function backfillServers(app: App, ctx: RoomContext, fromEventIds: readonly string[], given: readonly string[] | undefined): string[] {
  const out = new Set<string>(given ?? []);
  if (!given) {
    for (const id of fromEventIds) {
      const sender = app.storage.events.getEvent(id)?.pdu.sender;
      const d = sender ? domainOf(sender) : null;
      if (d) out.add(d);
    }
    for (const s of app.storage.rooms.joinedServers(ctx.roomNid)) out.add(s);
  }
  out.delete(app.serverName);
  return [...out].filter((s) => isServerAllowedInRoom(app.storage, ctx.roomId, s));
}

async function placeBackfilled(app: App, roomId: string, server: string, events: readonly RoomEvent[], opts: BackfillOptions): Promise<string[]> {
  const version = app.rooms.version(roomId)!;
  const fetcher = new EventFetcher({
    check: { pool: app.pool, keys: app.keyRing },
    transport: app.federation,
    roomId,
    version,
    server,
    budget: new FetchBudget(opts.deadlineMs ?? 30_000, 500),
    log,
  });
  const batch = sortEventsTopologically(events.map((event) => ({ event }))).map((i) => i.event);
  const inBatch = new Set(batch.map((e) => e.eventId));
  const held = (id: string): boolean => app.storage.events.hasEvent(id);
  const outliers: RoomEvent[] = [];
  const have = (id: string): boolean => inBatch.has(id) || held(id) || outliers.some((o) => o.eventId === id);

  // Auth events we lack: the auth chain of an event that cites them.
  const citing = new Map<string, string>();
  for (const ev of batch) for (const a of ev.authEvents) if (!have(a) && !citing.has(a)) citing.set(a, ev.eventId);
  for (const eventId of [...new Set(citing.values())].slice(0, 3)) {
    if (![...citing.keys()].some((a) => !have(a))) break;
    outliers.push(...(await fetcher.authChain(eventId)));
  }

  // The oldest events: prev events neither in the batch nor held with their state.
  const heldWithState = (id: string): boolean => {
    const r = app.storage.events.getEvent(id);
    return r !== undefined && r.status !== "outlier" && r.stateAfter !== null;
  };
  const gaps = batch.filter((ev) => ev.prevEvents.some((p) => !inBatch.has(p) && !heldWithState(p))).slice(0, opts.maxGaps ?? 3);
  const gapState = new Map<string, string[]>();
  for (const ev of gaps) {
    const { stateIds, authChainIds } = await fetcher.stateIds(ev.eventId);
    const missing = [...new Set([...stateIds, ...authChainIds])].filter((id) => !have(id));
    if (missing.length > 0) outliers.push(...(missing.length <= fetcher.remainingById ? await fetcher.events(missing) : await fetcher.state(ev.eventId)));
    gapState.set(ev.eventId, stateIds);
  }

  const actor = app.rooms.actor(roomId);
  return actor.exclusive(() =>
    app.storage.write((w) => {
      const ctx = actor.context(w);
      persistOutliers(ctx, w, outliers);
      const stored: string[] = [];
      // The batch is placed oldest first (prev events before children) but must number newest
      // first, so that history read in stream order runs backwards in time correctly: reserve
      // the orderings, then give the oldest event the most negative one.
      const orderings = batch.map(() => w.next("backfill")).reverse();
      for (const [i, ev] of batch.entries()) {
        const rec = ctx.loader.record(ev.eventId, w);
        if (rec && rec.status !== "outlier") continue;
        const stateIds = gapState.get(ev.eventId);
        let placed: boolean;
        if (stateIds !== undefined) {
          const r = placeAtGap(ctx, w, ev, stateIds, orderings[i]);
          placed = r.status === "accepted" || r.status === "rejected";
        } else {
          const root = stateBeforeEvent(ctx, ev, w);
          placed = root !== null && placeWithState(ctx, w, ev, root, orderings[i]!);
        }
        if (placed) stored.push(ev.eventId);
      }
      return stored;
    }),
  );
}

/** Checks 4 and 5 against the state computed from its prev events; stored as backfilled. */
function placeWithState(ctx: RoomContext, w: WriteBatch, ev: RoomEvent, root: NodeId, streamOrdering: number): boolean {
  const c4 = checkAuthEvents(ctx, ev, w);
  if (c4.kind === "missing") return false;
  let reason = c4.result.allowed ? undefined : `auth events: ${c4.result.reason}`;
  if (reason === undefined) {
    const c5 = checkAuthRules(ev, new StateView(ctx.storage, ctx.loader, root, w), ctx.version);
    if (!c5.allowed) reason = `state before: ${c5.reason}`;
  }
  const accepted = reason === undefined;
  const [p] = ctx.storage.persistEvents(w, ctx.roomNid, [
    { event: ev, status: accepted ? "accepted" : "rejected", ...(reason ? { rejectReason: reason } : {}), stateBefore: root, backfilled: accepted, streamOrdering },
  ]);
  ctx.loader.remember(p!.nid, ev);
  if (accepted) {
    if (ev.redacts !== undefined) applyRedaction(ctx, w, ev, p!.nid, root);
    applyEarlierRedactions(ctx, w, ev, p!.nid);
  }
  return true;
}
