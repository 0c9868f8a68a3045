/**
 * Whose device lists a user should re-fetch: `/keys/changes` and `/sync`
 * `device_lists.changed` (client-server API "Tracking the device list for a user"). Of the
 * users with changes in (from, to], those who share a joined room with the viewer, plus the
 * viewer (their own other devices).
 */
import type { Accounts } from "./accounts.js";

export function changedDeviceListsFor(accounts: Accounts, viewer: string, from: number, to: number): string[] {
  const changed = accounts.deviceLists.changedUsers(from, to);
  if (changed.size === 0) return [];
  const rooms = accounts.storage.rooms;
  const mine = new Set(rooms.roomsOfUser(viewer, "join").map((r) => r.roomNid));
  return [...changed].filter((userId) => userId === viewer || rooms.roomsOfUser(userId, "join").some((r) => mine.has(r.roomNid))).sort();
}
