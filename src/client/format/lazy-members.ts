/**
 * Lazy-loading room members (client-server-api "Lazy-loading room members"): with
 * `lazy_load_members`, endpoints "only include membership events for the `sender` of events
 * being included in the response". For /messages and /context that is the `state` array.
 *
 * Each sender's member event is taken from `atRoot` when given (/context: "the state at the
 * last event returned"), else from the state after the first of their events in the list
 * (/messages), so a client rendering the chunk sees the name the sender had then.
 * Redundant members (already sent earlier) are always included: the spec allows it ("it is
 * valid for the server to send redundant membership events"), so `include_redundant_members`
 * needs no tracking of what a client was sent.
 */
import type { App } from "../../app.js";
import { stateKey } from "../../events/types.js";
import { MEMBER } from "../../rooms/auth/types.js";
import type { EventRecord } from "../../storage/events.js";
import type { NodeId } from "../../storage/state-node.js";

/** Member events of the senders of `events` (order of first appearance), deduplicated. */
export function memberEventsForSenders(app: App, events: readonly EventRecord[], atRoot?: NodeId): EventRecord[] {
  const seen = new Set<string>();
  const nids = new Set<number>();
  const out: EventRecord[] = [];
  for (const rec of events) {
    const sender = rec.pdu.sender;
    if (seen.has(sender)) continue;
    seen.add(sender);
    const root = atRoot ?? rec.stateAfter;
    if (root === null) continue;
    const nid = app.storage.state.get(root, stateKey(MEMBER, sender));
    if (nid === undefined || nids.has(nid)) continue;
    const member = app.storage.events.getEventByNid(nid);
    if (member) {
      nids.add(nid);
      out.push(member);
    }
  }
  return out;
}
