/**
 * The state before an event (server-server-api.md "Room State Resolution"): the state after
 * its single prev event, or the resolution of the states after each of its prev events. A
 * rejected prev event contributes the state before it ("Rejection": state is computed as if a
 * rejected state event did not exist).
 *
 * `null` when some prev event, or its state, is unknown here: the event cannot be placed in
 * the DAG until the gap is filled (get_missing_events, or /state_ids at the gap).
 */
import type { RoomEvent } from "../../events/types.js";
import type { NodeId } from "../../storage/state-node.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import type { RoomContext } from "../room-context.js";
import { resolveRoots } from "../state-view.js";

export function stateBeforeEvent(ctx: RoomContext, ev: RoomEvent, w: WriteBatch): NodeId | null {
  if (ev.prevEvents.length === 0) return ev.type === "m.room.create" ? "" : null;
  const roots: NodeId[] = [];
  for (const prev of ev.prevEvents) {
    const rec = ctx.loader.record(prev, w);
    if (rec === undefined || rec.roomNid !== ctx.roomNid) return null;
    if (rec.status === "outlier" || rec.stateAfter === null) return null;
    roots.push(rec.stateAfter);
  }
  return resolveRoots(ctx.storage, ctx.loader, ctx.version, roots, w);
}
