/**
 * m.typing (server-server-api.md "Typing Notifications"): the user must belong to the sending
 * server and be in the room; a server the room's ACL denies is ignored ("Server ACLs": the
 * EDU MUST be ignored).
 */
import { isServerAllowedInRoom } from "../../federation/acl.js";
import { isOriginUser, isRoomId, type EduHandler } from "./context.js";

export const handleTyping: EduHandler = (ctx, content) => {
  const { room_id: roomId, user_id: userId, typing } = content;
  if (!isRoomId(roomId) || typeof typing !== "boolean") return ignore(ctx, "malformed");
  if (!isOriginUser(ctx, userId)) return ignore(ctx, "user does not belong to the origin");
  if (!isServerAllowedInRoom(ctx.storage, roomId, ctx.origin)) return ignore(ctx, "origin denied by the room's server ACL");
  if (!ctx.storage.rooms.isJoined(roomId, userId)) return ignore(ctx, "user is not in the room");
  ctx.edu.typing.set(roomId, userId, typing);
  return undefined;
};

function ignore(ctx: Parameters<EduHandler>[0], why: string): undefined {
  ctx.log.debug({ origin: ctx.origin, edu_type: "m.typing", why }, "ignored EDU");
  return undefined;
}
