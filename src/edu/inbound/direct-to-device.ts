/**
 * m.direct_to_device (server-server-api.md "Send-to-device messaging"): messages from a user
 * of the sending server to devices of our users, `messages: {user_id: {device_id | "*":
 * content}}`. `*` means every device of the user (LocalDeviceDirectory). The whole EDU is
 * delivered once per (origin, message_id).
 */
import type { Delivery } from "../to-device.js";
import { isLocalUser, isOriginUser, type EduHandler } from "./context.js";
import { isJsonObject } from "../../json.js";

/** "Arbitrary utf8 string, of maximum length 32 codepoints" (m.direct_to_device schema). */
const MAX_MESSAGE_ID_CODEPOINTS = 32;
const ALL_DEVICES = "*";

export const handleDirectToDevice: EduHandler = (ctx, content) => {
  const { sender, type, message_id: messageId, messages } = content;
  if (!isOriginUser(ctx, sender) || typeof type !== "string" || type.length === 0) return undefined;
  if (typeof messageId !== "string" || messageId.length === 0 || [...messageId].length > MAX_MESSAGE_ID_CODEPOINTS) return undefined;
  if (!isJsonObject(messages)) return undefined;

  const directory = ctx.edu.localDevices;
  const deliveries: Delivery[] = [];
  for (const [userId, byDevice] of Object.entries(messages)) {
    if (!isLocalUser(ctx, userId) || !isJsonObject(byDevice)) continue;
    const known = directory?.devicesOf(userId);
    if (directory && known === undefined) continue; // no such local user
    for (const [deviceId, body] of Object.entries(byDevice)) {
      if (!isJsonObject(body)) continue;
      const targets = deviceId === ALL_DEVICES ? (known ?? []) : known === undefined || known.includes(deviceId) ? [deviceId] : [];
      for (const target of targets) deliveries.push({ userId, deviceId: target, message: { sender, type, content: body } });
    }
  }
  // Record the message ID even when nothing is deliverable, so a retry stays a no-op.
  return ctx.edu.toDevice.deliver(deliveries, { origin: ctx.origin, messageId });
};
