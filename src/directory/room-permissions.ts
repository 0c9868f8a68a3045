/**
 * Who may change a room's directory entries. The spec leaves this to servers
 * (directory.yaml DELETE: "Servers may choose to implement additional access control checks
 * here, for instance that room aliases can only be deleted by their creator or a server
 * administrator"; list_public_rooms.yaml PUT: "Servers MAY implement additional access
 * control checks"). Ours: the power to send `m.room.canonical_alias` in the room's current
 * state, the event that publishes a room's aliases, is the power to curate its directory
 * presence (as Synapse).
 */
import type { App } from "../app.js";
import { requiredPowerLevel, userPowerLevel } from "../rooms/auth/power-levels.js";
import { StateView } from "../rooms/state-view.js";

export const CANONICAL_ALIAS = "m.room.canonical_alias";

export function mayCurateDirectory(app: App, roomId: string, userId: string): boolean {
  const room = app.storage.rooms.getRoom(roomId);
  if (room === undefined) return false;
  const version = app.rooms.loader.roomVersion(room.roomNid);
  const state = new StateView(app.storage, app.rooms.loader, app.storage.rooms.getHeads(room.roomNid).stateRoot);
  return userPowerLevel(userId, state, version) >= requiredPowerLevel(CANONICAL_ALIAS, true, state, version);
}


