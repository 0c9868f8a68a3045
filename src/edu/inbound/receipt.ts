/**
 * m.receipt (server-server-api.md "Receipts"; the m.receipt EDU schema): `{room_id:
 * {receipt_type: {user_id: {event_ids, data}}}}`. Only the entries present are updated.
 *
 * Per room: receipts for a room whose ACL denies the origin are all ignored ("Server ACLs");
 * per user: the user must belong to the origin and be joined to the room. Private read
 * receipts (`m.read.private`) are never federated, so one arriving is ignored.
 */
import type { JsonObject } from "../../events/types.js";
import { isValidEventId } from "../../events/ids.js";
import { isServerAllowedInRoom } from "../../federation/acl.js";
import type { ReceiptUpdate } from "../receipts.js";
import { isOriginUser, isRoomId, type EduHandler } from "./context.js";
import { isJsonObject } from "../../json.js";

const PRIVATE_RECEIPT = "m.read.private";

export const handleReceipt: EduHandler = (ctx, content) => {
  const updates: ReceiptUpdate[] = [];
  for (const [roomId, byType] of Object.entries(content)) {
    if (!isRoomId(roomId) || !isJsonObject(byType)) continue;
    if (!isServerAllowedInRoom(ctx.storage, roomId, ctx.origin)) {
      ctx.log.debug({ origin: ctx.origin, room_id: roomId }, "receipts ignored: origin denied by the room's server ACL");
      continue;
    }
    for (const [receiptType, byUser] of Object.entries(byType)) {
      if (receiptType === PRIVATE_RECEIPT || !isJsonObject(byUser)) continue;
      for (const [userId, receipt] of Object.entries(byUser)) {
        const parsed = parseReceipt(receipt);
        if (!parsed || !isOriginUser(ctx, userId) || !ctx.storage.rooms.isJoined(roomId, userId)) continue;
        updates.push({ roomId, receiptType, userId, ...parsed });
      }
    }
  }
  return updates.length > 0 ? ctx.edu.receipts.put(updates) : undefined;
};

function parseReceipt(v: unknown): { eventIds: string[]; data: JsonObject } | undefined {
  if (!isJsonObject(v) || !isJsonObject(v.data) || !Array.isArray(v.event_ids) || v.event_ids.length === 0) return undefined;
  if (!v.event_ids.every((id): id is string => typeof id === "string" && isValidEventId(id))) return undefined;
  if (!Number.isSafeInteger(v.data.ts)) return undefined;
  if (v.data.thread_id !== undefined && typeof v.data.thread_id !== "string") return undefined;
  return { eventIds: v.event_ids as string[], data: v.data };
}
