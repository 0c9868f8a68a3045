/**
 * Which servers get an event we send out (server-server-api.md "PDUs"; "Joining Rooms": the
 * resident "must also send the event to other servers participating in the room").
 *
 * The servers with a joined member in the state before the event and in the state after it,
 * and for a membership event also the target's server (an invitee's, a kicked or banned
 * user's server must hear of it even when it has no one joined), minus us, minus the server
 * the event came from (a handshake event's origin already has it). Servers the room's server
 * ACL denies are NOT left out: "Servers should still send events to denied servers if they
 * are still residents of the room" (client-server modules/server_acls.md, "Server
 * behaviour"); the ACL only governs what those servers may send us.
 *
 * The state before a local or handshake event is the room's current state when the listener
 * runs: `onPersisted` runs inside the room's write, before that write changes the current
 * state, and the actor commits each job before the next starts, so the committed `room_hosts`
 * index is that state. The state after differs only in the target's membership, which the
 * target rule covers.
 */
import { domainOf } from "../../events/ids.js";
import type { RoomEvent } from "../../events/types.js";
import type { RoomContext } from "../../rooms/room-context.js";

export function destinationsFor(ctx: RoomContext, ev: RoomEvent, origin: string | undefined): string[] {
  const out = new Set(ctx.storage.rooms.joinedServers(ctx.roomNid));
  if (ev.type === "m.room.member" && ev.stateKey !== undefined) {
    const target = domainOf(ev.stateKey);
    if (target) out.add(target);
  }
  out.delete(ctx.serverName);
  if (origin !== undefined) out.delete(origin);
  return [...out];
}
