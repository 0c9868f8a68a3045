/**
 * What a destination gets for a room it missed events of (PDU cap exceeded, or it was in an
 * outage): not the backlog but the room's latest events, from which it pulls the gap itself
 * with get_missing_events (server-server-api.md "Backfilling and retrieving missing events";
 * this is Synapse's "catch-up" for destinations that come back).
 *
 * - the marked event (the newest the destination should have had) when it is still a forward
 *   extremity, plus our own forward extremities;
 * - otherwise our own forward extremities (they descend from it), or the marked event itself
 *   when no extremity is ours (the other servers' newer events reach the destination from
 *   their own senders, and reference ours).
 */
import { domainOf } from "../../events/ids.js";
import type { Storage } from "../../storage/storage.js";

/** Upper bound on events sent for one room (forward extremities are few in a healthy room). */
const MAX_PER_ROOM = 10;

export function catchUpEvents(storage: Storage, serverName: string, roomNid: number, markerNid: number): number[] {
  const { extremities } = storage.rooms.getHeads(roomNid);
  const ours: number[] = [];
  for (const nid of extremities) {
    const rec = storage.events.getEventByNid(nid);
    if (rec && domainOf(rec.pdu.sender) === serverName) ours.push(nid);
  }
  const out = extremities.includes(markerNid) ? [markerNid, ...ours.filter((n) => n !== markerNid)] : ours.length > 0 ? ours : [markerNid];
  return out.slice(0, MAX_PER_ROOM);
}
