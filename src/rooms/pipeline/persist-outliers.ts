/**
 * Events fetched out of band (auth chains, state at a gap) are stored as outliers: held, but
 * with no place in the DAG, because the state before them is not known here
 * (src/storage/events.ts "outlier"). Each must still pass receipt check 4, the auth rules
 * against its own auth events (server-server-api.md "Checks performed on receipt of a PDU"),
 * so it is checked in auth order, each against auth events stored before it; one that fails
 * is stored as rejected (stateless), so events citing it as an auth event are rejected too.
 *
 * Runs inside a room actor's job, in its write (the lock order of room-actor.ts).
 */
import type { RoomEvent } from "../../events/types.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import type { RoomContext } from "../room-context.js";
import { checkAuthEvents } from "./check-auth-events.js";
import { sortEventsTopologically } from "./sort-events.js";

export interface OutlierResult {
  readonly stored: number;
  readonly rejected: number;
  /** Not stored: some of their auth events are unknown here. */
  readonly missingAuth: string[];
}

export function persistOutliers(ctx: RoomContext, w: WriteBatch, events: readonly RoomEvent[]): OutlierResult {
  let stored = 0;
  let rejected = 0;
  const missingAuth: string[] = [];
  for (const { event: ev } of sortEventsTopologically(events.map((event) => ({ event })))) {
    // The room's create event is held from the start; another "create" claiming this room
    // (a v12 create carries no room_id of its own) is not ours to store.
    if (ev.roomId !== ctx.roomId || ev.type === "m.room.create") continue;
    if (ctx.storage.events.hasEvent(ev.eventId, w)) continue;
    const check = checkAuthEvents(ctx, ev, w);
    if (check.kind === "missing") {
      missingAuth.push(ev.eventId);
      continue;
    }
    const ok = check.result.allowed;
    ctx.storage.persistEvents(w, ctx.roomNid, [
      { event: ev, status: ok ? "outlier" : "rejected", rejectReason: ok ? undefined : `auth events: ${check.result.reason}`, stateBefore: null },
    ]);
    if (ok) stored++;
    else rejected++;
  }
  return { stored, rejected, missingAuth };
}
