/**
 * Events fetched out of band (auth chains and state at a gap, a send_join answer, /state and
 * /event_auth answers) are stored as outliers: held, but with no place in the DAG, because the
 * state before them is not known here (src/storage/events.ts "outlier"). Each must still pass
 * receipt check 4, the auth rules against its own auth events (server-server-api.md "Checks
 * performed on receipt of a PDU"), so it is checked in auth order, each against auth events
 * stored before it:
 *
 * - passes → stored as `outlier`;
 * - fails → stored as `rejected` (stateless; other events may still reference it, and events
 *   citing it as an auth event are rejected too);
 * - an auth event neither in the set nor held here → not stored (cannot be checked);
 * - already held → left as it is.
 *
 * The room's own create event is stored like any other (a remote join starts from nothing);
 * an event of another room, or another "create" claiming this room (a v12 create carries no
 * room_id of its own), is not ours to store. Callers that build on what passed (the join
 * import builds the room's state from it) read the per-event outcomes.
 *
 * Runs inside a room actor's job, in its write (the lock order of room-actor.ts).
 */
import type { RoomEvent } from "../../events/types.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import { CREATE } from "../auth/types.js";
import type { RoomContext } from "../room-context.js";
import { checkAuthEvents } from "./check-auth-events.js";
import { sortEventsTopologically } from "./sort-events.js";

export type OutlierOutcome =
  | { readonly kind: "stored"; readonly nid: number }
  | { readonly kind: "rejected"; readonly nid: number; readonly reason: string }
  | { readonly kind: "held"; readonly nid: number; readonly rejected: boolean }
  | { readonly kind: "missing_auth"; readonly missing: readonly string[] };

export interface OutlierResult {
  readonly stored: number;
  readonly rejected: number;
  /** Not stored: some of their auth events are unknown here. */
  readonly missingAuth: string[];
  /** Per event ID of the input; events that are not this room's have none. */
  readonly outcomes: ReadonlyMap<string, OutlierOutcome>;
}

export function persistOutliers(ctx: RoomContext, w: WriteBatch, events: readonly RoomEvent[]): OutlierResult {
  const createId = ctx.storage.rooms.getRoom(ctx.roomId, w)?.createEventId;
  const outcomes = new Map<string, OutlierOutcome>();
  let stored = 0;
  let rejected = 0;
  const missingAuth: string[] = [];
  for (const ev of sortByAuthEvents(events)) {
    if (ev.roomId !== ctx.roomId || (ev.type === CREATE && ev.eventId !== createId) || outcomes.has(ev.eventId)) continue;
    const held = ctx.storage.events.getEvent(ev.eventId, w);
    if (held) {
      outcomes.set(ev.eventId, { kind: "held", nid: held.nid, rejected: held.status === "rejected" });
      continue;
    }
    const check = checkAuthEvents(ctx, ev, w);
    if (check.kind === "missing") {
      missingAuth.push(ev.eventId);
      outcomes.set(ev.eventId, { kind: "missing_auth", missing: check.missing });
      continue;
    }
    const reason = check.result.allowed ? undefined : `auth events: ${check.result.reason}`;
    const [p] = ctx.storage.persistEvents(w, ctx.roomNid, [
      { event: ev, status: reason === undefined ? "outlier" : "rejected", rejectReason: reason, stateBefore: null },
    ]);
    ctx.loader.remember(p!.nid, ev);
    if (reason === undefined) {
      stored++;
      outcomes.set(ev.eventId, { kind: "stored", nid: p!.nid });
    } else {
      rejected++;
      outcomes.set(ev.eventId, { kind: "rejected", nid: p!.nid, reason });
    }
  }
  return { stored, rejected, missingAuth, outcomes };
}

/**
 * Auth events (and prev events) of the set before the events that cite them (sort-events.ts),
 * with create events moved to the front: in v12 nothing cites the create in auth_events, yet
 * every other event's check needs it held (the room ID rule).
 */
function sortByAuthEvents(events: readonly RoomEvent[]): RoomEvent[] {
  const sorted = sortEventsTopologically(events.map((event) => ({ event }))).map((i) => i.event);
  return [...sorted.filter((e) => e.type === CREATE), ...sorted.filter((e) => e.type !== CREATE)];
}
