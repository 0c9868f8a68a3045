/**
 * m.device_list_update (server-server-api.md "Device Management"): one device of a user of
 * the sending server changed. Applied incrementally when its `prev_id`s are known; otherwise
 * the list is marked stale and resynchronised in the background (device-list-resync.ts).
 * Users we share no room with are not tracked.
 */
import { isOriginUser, sharesARoom, type EduHandler } from "./context.js";
import { isJsonObject } from "../../json.js";

export const handleDeviceListUpdate: EduHandler = (ctx, content) => {
  const { user_id: userId, device_id: deviceId, stream_id: streamId, prev_id: prevId, deleted, keys, device_display_name: name } = content;
  if (!isOriginUser(ctx, userId) || typeof deviceId !== "string" || deviceId.length === 0) return undefined;
  if (!Number.isSafeInteger(streamId)) return undefined;
  if (prevId !== undefined && !(Array.isArray(prevId) && prevId.every((id) => Number.isSafeInteger(id)))) return undefined;
  if (deleted !== undefined && typeof deleted !== "boolean") return undefined;
  if (keys !== undefined && !isJsonObject(keys)) return undefined;
  if (name !== undefined && typeof name !== "string") return undefined;
  if (!sharesARoom(ctx.storage, userId)) return undefined;
  return ctx.edu.deviceLists
    .applyUpdates([
      {
        userId,
        deviceId,
        streamId: streamId as number,
        prevIds: (prevId as number[] | undefined) ?? [],
        deleted: deleted === true,
        ...(isJsonObject(keys) ? { keys } : {}),
        ...(typeof name === "string" ? { displayName: name } : {}),
      },
    ])
    .then(([outcome]) => {
      if (outcome === "applied_stale") ctx.edu.resync.schedule(userId);
    });
};
