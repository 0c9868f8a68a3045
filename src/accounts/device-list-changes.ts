/**
 * Whose device lists a user should re-fetch: `/keys/changes` and `/sync`
 * `device_lists.changed` (client-server API "Tracking the device list for a user"). Of the
 * users with changes in (from, to], those who share a joined room with the viewer, plus the
 * viewer (their own other devices).
 */
import type { Accounts } from "./accounts.js";
import { sharedRoomCheck, type SharedRoomCheck } from "./shared-rooms.js";

/** `shares`: the request's shared-room check, when it has one. */
export function changedDeviceListsFor(accounts: Accounts, viewer: string, from: number, to: number, shares?: SharedRoomCheck): string[] {
  const changed = accounts.deviceLists.changedUsers(from, to);
  if (changed.size === 0) return [];
  const check = shares ?? sharedRoomCheck(accounts.storage.rooms, viewer);
  return [...changed].filter(check).sort();
}
