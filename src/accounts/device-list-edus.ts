/**
 * The EDUs that announce a local user's device-list changes to other servers (server-server
 * API "Device Management" and "End-to-End Encryption"), built from a change-stream entry
 * (device-lists.ts) and the current state of the device:
 * - `m.device_list_update` for a device change: `stream_id` = the entry's position, `prev_id`
 *   = the user's previous device change (one, since we emit in series), `deleted: true` when
 *   the device is gone, `keys` = its identity keys with the owner's cross-signing signatures.
 * - `m.signing_key_update` for a cross-signing change: the current master and self-signing
 *   keys (the user-signing key is private to its owner).
 *
 * The outbound engineer's sender reads `accounts.deviceLists.since(pos)`, keeps local users'
 * entries (`accounts.isLocal`), builds the EDU with `deviceListEdu` and queues it for every
 * server sharing a room with the user (`deviceListDestinations`).
 */
import type { JsonObject } from "../events/types.js";
import type { RoomStore } from "../storage/rooms.js";
import type { Accounts } from "./accounts.js";
import type { DeviceListChange } from "./device-lists.js";
import { putPublicCrossSigningKeys } from "./e2e/query-keys.js";

export interface Edu {
  readonly edu_type: string;
  readonly content: JsonObject;
}

/** The EDU for one change of a local user, or `undefined` for a remote user's entry. */
export function deviceListEdu(accounts: Accounts, change: DeviceListChange): Edu | undefined {
  if (!accounts.isLocal(change.userId)) return undefined;
  return change.deviceId === null ? signingKeyUpdate(accounts, change.userId) : deviceListUpdate(accounts, change, change.deviceId);
}

function deviceListUpdate(accounts: Accounts, change: DeviceListChange, deviceId: string): Edu {
  const content: JsonObject = {
    user_id: change.userId,
    device_id: deviceId,
    stream_id: change.position,
    prev_id: change.prevId === null ? [] : [change.prevId],
  };
  if (!accounts.devices.exists(change.userId, deviceId)) {
    content.deleted = true;
  } else {
    const keys = accounts.deviceKeys.get(change.userId, deviceId);
    if (keys !== undefined) content.keys = accounts.servedDeviceKeys(change.userId, deviceId, keys, undefined);
  }
  return { edu_type: "m.device_list_update", content };
}

function signingKeyUpdate(accounts: Accounts, userId: string): Edu {
  const content: JsonObject = { user_id: userId };
  putPublicCrossSigningKeys(accounts, userId, content);
  return { edu_type: "m.signing_key_update", content };
}

/** Servers (other than ours) sharing a room where `userId` is joined: where its updates go. */
export function deviceListDestinations(rooms: RoomStore, userId: string, ourServer: string): Set<string> {
  const out = new Set<string>();
  for (const { roomNid } of rooms.roomsOfUser(userId, "join")) {
    for (const server of rooms.joinedServers(roomNid)) if (server !== ourServer) out.add(server);
  }
  return out;
}
