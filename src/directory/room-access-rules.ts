/**
 * Who may "peek or join" a room, for the space hierarchy (space_hierarchy.yaml, client and
 * federation): the client endpoint lists a room when the user
 *   - is joined or invited,
 *   - may join it: join rule `public`, or `restricted`/`knock_restricted` with the user joined
 *     to one of the allowed rooms,
 *   - may knock: join rule `knock` or `knock_restricted` in a room version with knocking,
 *   - or its history is `world_readable`.
 * The federation endpoint asks the same of a server: one of its users joined or invited, or
 * (restricted) the server joined to an allowed room; the open rules are the same.
 */
import { domainOf } from "../events/ids.js";
import { getRoomVersion } from "../events/room-versions.js";
import { isServerInRoom } from "../rooms/visibility/server-visibility.js";
import type { VisibilitySource } from "../rooms/visibility/source.js";
import type { RoomSummary } from "./room-summary.js";

/** Someone who asks: a local user (client API) or a remote server (federation). */
export type Requester = { readonly userId: string } | { readonly server: string };

/**
 * May the requester peek/join the room described by `summary`? Memberships are read from our
 * copy of the room when we hold it (a remote summary carries none).
 */
export function mayPeekOrJoin(src: VisibilitySource, summary: RoomSummary, who: Requester): boolean {
  if (summary.world_readable) return true;
  const rule = summary.join_rule ?? "public";
  if (rule === "public") return true;
  const version = summary.room_version === undefined ? undefined : getRoomVersion(summary.room_version);
  // A remote summary without room_version: trust the join rule it reports.
  if (rule === "knock" && (version === undefined || version.knocking)) return true;
  if (rule === "knock_restricted" && (version === undefined || version.knockRestricted)) return true;
  if (hasMembership(src, summary.room_id, who)) return true;
  if (rule === "restricted" || rule === "knock_restricted") {
    return (summary.allowed_room_ids ?? []).some((id) => isJoined(src, id, who));
  }
  return false;
}

function hasMembership(src: VisibilitySource, roomId: string, who: Requester): boolean {
  const room = src.storage.rooms.getRoom(roomId);
  if (room === undefined) return false;
  if ("userId" in who) {
    const m = src.storage.rooms.membership(room.roomNid, who.userId)?.membership;
    return m === "join" || m === "invite";
  }
  if (isServerInRoom(src.storage, room.roomNid, who.server)) return true;
  return src.storage.rooms.members(room.roomNid, "invite").some((m) => domainOf(m.userId) === who.server);
}

function isJoined(src: VisibilitySource, roomId: string, who: Requester): boolean {
  const room = src.storage.rooms.getRoom(roomId);
  if (room === undefined) return false;
  if ("userId" in who) return src.storage.rooms.membership(room.roomNid, who.userId)?.membership === "join";
  return isServerInRoom(src.storage, room.roomNid, who.server);
}
