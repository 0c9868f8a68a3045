/**
 * The states an event's visibility is judged against.
 *
 * modules/history_visibility.md: the rules "depend on the state of the room *at that event*",
 * and for `m.room.history_visibility` events and a user's own `m.room.member` events the event
 * is visible if the state before *or* after it allows it. Only those two kinds of event change
 * a slot the rules read (the history visibility, the viewer's membership), so judging every
 * event against both states and allowing when either allows is exactly that rule: for any
 * other event the two answers are the same. (An event that changes the membership of another
 * user of the viewing server is the server-level analogue of "own member event".)
 */
import type { EventRecord } from "../../storage/events.js";
import type { NodeId } from "../../storage/state-node.js";

/** Distinct state roots to judge `rec` against; empty for an outlier (no known state). */
export function stateRootsAround(rec: EventRecord): NodeId[] {
  if (rec.stateBefore === null) return [];
  const after = rec.stateAfter;
  return after === null || after === rec.stateBefore ? [rec.stateBefore] : [rec.stateBefore, after];
}
