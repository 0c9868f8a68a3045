/**
 * Membership endpoints on a room ID (inviting.yaml, leaving.yaml, kicking.yaml, banning.yaml):
 * invite, leave, forget, kick, ban, unban. Each answers `{}`; the work is in
 * membership-actions.ts, and the auth rules (power levels, current memberships) answer 403.
 *
 * `/forget` (leaving.yaml): "If the user is currently joined to the room, they must leave the
 * room before calling this API" → 400 M_UNKNOWN while joined, invited or knocking (an invite or
 * knock is rejected/retracted with /leave); otherwise the room is forgotten (forgotten.ts).
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import type { HttpRequest, JsonResponse } from "../../http/request.js";
import { json } from "../../http/request.js";
import { membershipStore } from "../../rooms/membership/membership-store.js";
import { requireClient } from "../auth/authenticator.js";
import { forgottenRoomsOf } from "./forgotten.js";
import { banUser, inviteUser, kickUser, leaveRoom, unbanUser, type MembershipOutcome } from "./membership-actions.js";
import { bodyObject, reasonContent, roomIdParam, targetUserOf } from "./params.js";

type TargetAction = (app: App, sender: string, roomId: string, target: string, extra: JsonObject) => Promise<MembershipOutcome>;

function targetHandler(app: App, action: TargetAction, allowHistorical: boolean) {
  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const body = bodyObject(req.body);
    const target = targetUserOf(body, allowHistorical);
    await action(app, auth.userId, roomId, target, reasonContent(body));
    return json({});
  };
}

export function inviteHandler(app: App) {
  const handle = targetHandler(app, inviteUser, false);
  return (req: HttpRequest): Promise<JsonResponse> => {
    const body = bodyObject(req.body);
    if (body["user_id"] === undefined && (body["medium"] !== undefined || body["address"] !== undefined)) {
      throw Errors.invalidParam("Third-party invites are not supported by this server");
    }
    return handle(req);
  };
}

export const kickHandler = (app: App) => targetHandler(app, kickUser, true);
export const banHandler = (app: App) => targetHandler(app, banUser, true);
export const unbanHandler = (app: App) => targetHandler(app, unbanUser, true);

export function leaveHandler(app: App) {
  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    await leaveRoom(app, auth.userId, roomId, reasonContent(bodyObject(req.body ?? {})));
    return json({});
  };
}

export function forgetHandler(app: App) {
  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const room = app.storage.rooms.getRoom(roomId);
    const m = room ? app.storage.rooms.membership(room.roomNid, auth.userId)?.membership : undefined;
    const store = membershipStore(app.storage);
    if (m === "join" || m === "invite" || m === "knock" || store.invite(auth.userId, roomId) || store.knock(auth.userId, roomId)) {
      throw Errors.unknown(`User ${auth.userId} is in room ${roomId}`, 400);
    }
    await forgottenRoomsOf(app).forget(auth.userId, roomId);
    return json({});
  };
}
