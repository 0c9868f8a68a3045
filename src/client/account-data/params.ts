/**
 * The path parameters every account-data endpoint shares (account-data.yaml, tags.yaml):
 * `{userId}` must be the caller ("Users may only view the account data for their own
 * account": 403 M_FORBIDDEN otherwise), `{roomId}` must be a room ID (400 M_INVALID_PARAM),
 * `{type}` an event type within the spec's size limit (255 bytes, client-server "Size limits").
 */
import { Errors } from "../../errors.js";
import { isValidRoomId } from "../../events/ids.js";
import type { HttpRequest } from "../../http/request.js";
import { requireClient } from "../auth/authenticator.js";

const MAX_TYPE_BYTES = 255;

/** The caller, who must be the `{userId}` of the path. */
export function ownerOf(req: HttpRequest): string {
  const auth = requireClient(req);
  if (req.params.userId !== auth.userId) throw Errors.forbidden("Cannot access account data of other users");
  return auth.userId;
}

export function roomParam(req: HttpRequest): string {
  const roomId = req.params.roomId!;
  if (!isValidRoomId(roomId)) throw Errors.invalidParam(`${roomId} is not a valid room ID`);
  return roomId;
}

export function typeParam(req: HttpRequest): string {
  const type = req.params.type ?? "";
  if (type.length === 0 || Buffer.byteLength(type, "utf8") > MAX_TYPE_BYTES) {
    throw Errors.invalidParam(`The account data type must be 1 to ${MAX_TYPE_BYTES} bytes`);
  }
  return type;
}
