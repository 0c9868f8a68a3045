/**
 * `PUT /_matrix/federation/v2/invite/{roomId}/{eventId}` (invites-v2.yaml): body
 * `{room_version, event, invite_room_state}` → `{"event": …}`; and
 * `PUT /_matrix/federation/v1/invite/{roomId}/{eventId}` (invites-v1.yaml): the body is the
 * event, with `unsigned.invite_room_state`, the room version is "1" or "2" → `[200, {"event": …}]`.
 *
 * parse → room version supported (400 M_INCOMPATIBLE_ROOM_VERSION + `room_version`) and ACL
 * (v1: ACL first, the version is then read from our record of the room) →
 * src/rooms/membership/receive-invite.ts (validation, invite blocking, our signature, the
 * pending-invite record) → the signed event.
 */
import { Errors } from "../../errors.js";
import { getRoomVersion, type RoomVersion } from "../../events/room-versions.js";
import type { JsonValue } from "../../events/types.js";
import { json, type FederationAuth, type Handler } from "../../http/request.js";
import { receiveInvite } from "../../rooms/membership/receive-invite.js";
import type { MembershipDeps } from "../../rooms/membership/resident-room.js";
import { assertServerAllowed } from "../acl.js";
import { isJsonObject } from "../../json.js";

export function inviteV2Handler(deps: MembershipDeps): Handler<FederationAuth> {
  return async (req) => {
    const body = req.body as Record<string, JsonValue>;
    const roomVersion = body.room_version;
    if (roomVersion === undefined) throw Errors.missingParam("Missing 'room_version'");
    if (typeof roomVersion !== "string") throw Errors.badJson("'room_version' must be a string");
    if (body.event === undefined) throw Errors.missingParam("Missing 'event'");
    const inviteRoomState = body.invite_room_state;
    if (inviteRoomState !== undefined && !Array.isArray(inviteRoomState)) throw Errors.badJson("'invite_room_state' must be an array");
    const version = getRoomVersion(roomVersion);
    if (!version) throw Errors.incompatibleRoomVersion(roomVersion, "This server does not support the room's version");
    const roomId = req.params.roomId!;
    assertServerAllowed(deps.storage, roomId, req.auth.origin);
    const event = await receiveInvite(deps, {
      roomId,
      eventId: req.params.eventId!,
      origin: req.auth.origin,
      version,
      event: body.event,
      inviteRoomState,
    });
    return json({ event });
  };
}

export function inviteV1Handler(deps: MembershipDeps): Handler<FederationAuth> {
  return async (req) => {
    const body = req.body as Record<string, JsonValue>;
    const unsigned = body.unsigned;
    const offered = isJsonObject(unsigned) ? unsigned.invite_room_state : undefined;
    if (offered !== undefined && !Array.isArray(offered)) throw Errors.badJson("'unsigned.invite_room_state' must be an array");
    const roomId = req.params.roomId!;
    assertServerAllowed(deps.storage, roomId, req.auth.origin);
    const version = v1InviteVersion(deps, roomId, offered);
    const event = await receiveInvite(deps, {
      roomId,
      eventId: req.params.eventId!,
      origin: req.auth.origin,
      version,
      event: body,
      inviteRoomState: offered,
    });
    return json([200, { event }]);
  };
}

/**
 * "Servers which receive a v1 invite request must assume that the room version is either "1"
 * or "2"" — the two versions with the v1 event format. Which of them: our own record of the
 * room if we have one (any other version cannot be invited to over v1), else the create event
 * among the offered state, else "1" (the two differ only in state resolution, which an invite
 * to a room we are not in never needs).
 */
function v1InviteVersion(deps: MembershipDeps, roomId: string, offered: JsonValue[] | undefined): RoomVersion {
  const known = deps.rooms.version(roomId);
  if (known) {
    if (known.eventFormat !== "v1") throw Errors.incompatibleRoomVersion(known.id, "Invites to this room need the v2 invite API");
    return known;
  }
  for (const entry of offered ?? []) {
    if (!isJsonObject(entry) || entry.type !== "m.room.create") continue;
    const content = entry.content;
    const claimed = isJsonObject(content) ? content.room_version : undefined;
    const v = getRoomVersion(typeof claimed === "string" ? claimed : "1");
    if (v && v.eventFormat === "v1") return v;
  }
  return getRoomVersion("1")!;
}
