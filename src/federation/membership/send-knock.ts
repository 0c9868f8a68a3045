/**
 * `PUT /_matrix/federation/v1/send_knock/{roomId}/{eventId}` (knocks.yaml) →
 * `{"knock_room_state": [...]}`: full PDUs formatted for the room version, ALWAYS with
 * `m.room.create` (Matrix 1.16), then join rules, name, avatar, topic, canonical alias and
 * encryption when the room has them — the state at the knock, as stored JSON text.
 */
import { bytes, type FederationAuth, type Handler } from "../../http/request.js";
import { acceptHandshakeEvent } from "../../rooms/membership/accept-handshake.js";
import type { MembershipDeps } from "../../rooms/membership/resident-room.js";
import { roomStateJsonArray, strippedStateRecords } from "../../rooms/membership/stripped-state.js";
import { assertServerAllowed } from "../acl.js";

export function sendKnockHandler(deps: MembershipDeps): Handler<FederationAuth> {
  return async (req) => {
    const roomId = req.params.roomId!;
    assertServerAllowed(deps.storage, roomId, req.auth.origin);
    const { ctx, record } = await acceptHandshakeEvent(deps, {
      roomId,
      eventId: req.params.eventId!,
      origin: req.auth.origin,
      membership: "knock",
      body: req.body,
    });
    const records = strippedStateRecords(ctx, record.stateBefore ?? ctx.storage.rooms.getHeads(ctx.roomNid).stateRoot);
    return bytes(`{"knock_room_state":${roomStateJsonArray(records)}}`, "application/json");
  };
}
