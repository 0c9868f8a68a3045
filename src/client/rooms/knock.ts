/**
 * `POST /knock/{roomIdOrAlias}` (knocking.yaml, client-server-api "Knocking on rooms"): ask to
 * be let in. Locally when our server is in the room, else the make_knock/send_knock handshake;
 * the join rules decide (auth rules: `knock`, v10+ `knock_restricted`; members, invitees and
 * banned users cannot knock) → 403. Unknown room or alias → 404.
 */
import type { App } from "../../app.js";
import type { HttpRequest, JsonResponse } from "../../http/request.js";
import { json } from "../../http/request.js";
import { requireClient } from "../auth/authenticator.js";
import { resolveRoomIdOrAlias } from "./join.js";
import { knockRoom } from "./membership-actions.js";
import { bodyObject, reasonOf, viaServers } from "./params.js";

export function knockHandler(app: App) {
  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const reason = reasonOf(bodyObject(req.body ?? {}));
    const { roomId, servers } = await resolveRoomIdOrAlias(app, req.params.roomIdOrAlias, viaServers(req.query));
    const r = await knockRoom(app, auth.userId, roomId, servers, reason);
    return json({ room_id: r.roomId });
  };
}
