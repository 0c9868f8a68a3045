/**
 * "Does this user share a joined room with the viewer?": who may see a user's presence, whose
 * device-list changes a viewer hears of (client-server API "Tracking the device list for a
 * user"). The viewer counts as sharing with themselves. Answers are memoised for the life of
 * the check: make one per request, so all of them come from the same committed state.
 */
import type { RoomStore } from "../storage/rooms.js";

export type SharedRoomCheck = (userId: string) => boolean;

/** `viewerRooms`: the viewer's joined room nids, when the caller already has them. */
export function sharedRoomCheck(rooms: RoomStore, viewer: string, viewerRooms?: ReadonlySet<number>): SharedRoomCheck {
  const mine = viewerRooms ?? new Set(rooms.roomsOfUser(viewer, "join").map((r) => r.roomNid));
  const memo = new Map<string, boolean>();
  return (userId) => {
    if (userId === viewer) return true;
    let v = memo.get(userId);
    if (v === undefined) memo.set(userId, (v = rooms.roomsOfUser(userId, "join").some((r) => mine.has(r.roomNid))));
    return v;
  };
}
