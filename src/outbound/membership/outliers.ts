/**
 * Events a remote handed us out of band (a send_join auth chain and state, /state answers,
 * /event_auth) stored as outliers: held without their place in the DAG, each checked against
 * its own auth events first (receipt check 4; server-server-api.md "Checks performed on
 * receipt of a PDU"), in an order where auth events come before the events they authorise.
 *
 * - passes → stored as `outlier`;
 * - fails → stored as `rejected` (other events may still reference it; it authorises nothing);
 * - an auth event neither in the set nor held here → not stored (cannot be checked);
 * - already held → left as it is.
 *
 * Unlike rooms/pipeline/persist-outliers.ts (gap filling in a room we already hold), this also
 * stores the room's create event (a join starts from nothing) and reports per event, which the
 * join import needs to build the state from what passed.
 */
import type { RoomEvent } from "../../events/types.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import { checkAuthEvents } from "../../rooms/pipeline/check-auth-events.js";
import { sortEventsTopologically } from "../../rooms/pipeline/sort-events.js";
import type { RoomContext } from "../../rooms/room-context.js";

export type OutlierOutcome =
  | { readonly kind: "stored"; readonly nid: number }
  | { readonly kind: "rejected"; readonly nid: number; readonly reason: string }
  | { readonly kind: "held"; readonly nid: number; readonly rejected: boolean }
  | { readonly kind: "missing_auth"; readonly missing: readonly string[] };

/**
 * Auth events (and prev events) of the set before the events that cite them
 * (rooms/pipeline/sort-events.ts), with the create event moved to the front: in v12 nothing
 * cites it in auth_events, yet every other event's check needs it held (the room ID rule).
 */
export function sortByAuthEvents(events: Iterable<RoomEvent>): RoomEvent[] {
  const sorted = sortEventsTopologically([...events].map((event) => ({ event }))).map((i) => i.event);
  const creates = sorted.filter((e) => e.type === "m.room.create");
  return [...creates, ...sorted.filter((e) => e.type !== "m.room.create")];
}

/** Store `events` (already in auth order: `sortByAuthEvents`) as outliers inside write `w`. */
export function persistOutliers(ctx: RoomContext, w: WriteBatch, events: readonly RoomEvent[]): Map<string, OutlierOutcome> {
  const out = new Map<string, OutlierOutcome>();
  for (const ev of events) {
    const held = ctx.loader.record(ev.eventId, w);
    if (held) {
      out.set(ev.eventId, { kind: "held", nid: held.nid, rejected: held.status === "rejected" });
      continue;
    }
    const check = checkAuthEvents(ctx, ev, w);
    if (check.kind === "missing") {
      out.set(ev.eventId, { kind: "missing_auth", missing: check.missing });
      continue;
    }
    const rejected = !check.result.allowed;
    const reason = check.result.allowed ? undefined : `auth events: ${check.result.reason}`;
    const [p] = ctx.storage.persistEvents(w, ctx.roomNid, [
      { event: ev, status: rejected ? "rejected" : "outlier", ...(reason ? { rejectReason: reason } : {}), stateBefore: null },
    ]);
    ctx.loader.remember(p!.nid, ev);
    out.set(ev.eventId, rejected ? { kind: "rejected", nid: p!.nid, reason: reason! } : { kind: "stored", nid: p!.nid });
  }
  return out;
}
