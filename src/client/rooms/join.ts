/**
 * Joining rooms (joining.yaml): `POST /rooms/{roomId}/join` and `POST /join/{roomIdOrAlias}`
 * (`via`, and the deprecated `server_name` older clients send). An alias is resolved first,
 * over federation when it is another server's (src/directory/resolve-alias.ts); its servers
 * become join candidates after `via`. The join itself: membership-actions.ts `joinRoom`.
 * Joins with `third_party_signed` (third-party invites) are not supported: 400.
 */
import type { App } from "../../app.js";
import { resolveAlias } from "../../directory/resolve-alias.js";
import { Errors } from "../../errors.js";
import { isValidRoomAlias } from "../../events/ids.js";
import type { HttpRequest, JsonResponse } from "../../http/request.js";
import { json } from "../../http/request.js";
import { requireClient } from "../auth/authenticator.js";
import { joinRoom } from "./membership-actions.js";
import { bodyObject, reasonContent, roomIdParam, viaServers } from "./params.js";

/** A room ID, or an alias resolved to its room ID and candidate servers (`via` first). */
export async function resolveRoomIdOrAlias(app: App, target: string | undefined, via: string[]): Promise<{ roomId: string; servers: string[] }> {
  if (target !== undefined && target.startsWith("#")) {
    if (!isValidRoomAlias(target)) throw Errors.invalidParam("Invalid room alias");
    const resolved = await resolveAlias(app, target);
    return { roomId: resolved.room_id, servers: [...new Set([...via, ...resolved.servers])] };
  }
  return { roomId: roomIdParam(target), servers: via };
}

function joinBody(req: HttpRequest): Record<string, unknown> {
  const body = bodyObject(req.body ?? {});
  if (body["third_party_signed"] !== undefined) throw Errors.invalidParam("Joining with third_party_signed is not supported by this server");
  return body;
}

export function joinByIdHandler(app: App) {
  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const body = joinBody(req);
    const r = await joinRoom(app, auth.userId, roomId, viaServers(req.query), reasonContent(body));
    return json({ room_id: r.roomId });
  };
}

export function joinByIdOrAliasHandler(app: App) {
  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const body = joinBody(req);
    const { roomId, servers } = await resolveRoomIdOrAlias(app, req.params.roomIdOrAlias, viaServers(req.query));
    const r = await joinRoom(app, auth.userId, roomId, servers, reasonContent(body));
    return json({ room_id: r.roomId });
  };
}
