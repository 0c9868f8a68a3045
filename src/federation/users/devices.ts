/**
 * GET /_matrix/federation/v1/user/devices/{userId} (server-server API "Device Management",
 * user_devices.yaml): a local user's devices with their identity keys, the `stream_id` that
 * the user's `m.device_list_update` EDUs continue from, and the master and self-signing keys.
 * A remote server calls it to (re)synchronise its copy of the list, e.g. after an EDU with an
 * unknown `prev_id`.
 *
 * Only devices with uploaded keys are listed (`keys` is required per device); display names
 * are not sent over federation (see accounts/e2e/query-keys.ts).
 */
import type { Accounts } from "../../accounts/accounts.js";
import { putPublicCrossSigningKeys } from "../../accounts/e2e/query-keys.js";
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";

export function userDevicesResponse(accounts: Accounts, userId: string): JsonObject {
  if (!accounts.isLocal(userId)) throw Errors.invalidParam("The user is not local to this server");
  if (!accounts.users.exists(userId)) throw Errors.notFound("Unknown user");
  // The stream position first: a change committed while we read is then re-announced with a
  // higher stream_id, never lost behind the one we report.
  const streamId = accounts.deviceLists.streamId(userId);
  const devices: JsonObject[] = [];
  for (const [deviceId, keys] of accounts.deviceKeys.list(userId)) {
    devices.push({ device_id: deviceId, keys: accounts.servedDeviceKeys(userId, deviceId, keys, undefined) });
  }
  const response: JsonObject = { user_id: userId, stream_id: streamId, devices };
  putPublicCrossSigningKeys(accounts, userId, response);
  return response;
}
