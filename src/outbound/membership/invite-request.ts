/**
 * The inviting server's request to the invitee's server (invites-v2.yaml, invites-v1.yaml):
 * PUT /v2/invite with `{room_version, event, invite_room_state}`; for rooms of the v1 event
 * format, a 400 or 404 is retried as PUT /v1/invite with the state in
 * `unsigned.invite_room_state` ("Senders which receive a 400 or 404 response to this endpoint
 * should retry using the v1 API as the server may be older, if the room version is "1" or
 * "2""). Resolves with the `event` of the answer, unchecked: what to trust of it is the
 * caller's.
 */
import type { RoomVersion } from "../../events/room-versions.js";
import type { JsonObject, JsonValue, Pdu } from "../../events/types.js";
import { isJsonObject } from "../../json.js";
import { RemoteError } from "../errors.js";
import type { FederationClient } from "../federation-client.js";
import { InvalidRemoteResponse } from "./remote-errors.js";

export interface InviteRequest {
  readonly server: string;
  readonly roomId: string;
  readonly eventId: string;
  readonly version: RoomVersion;
  /** The invite, signed by us. */
  readonly pdu: Pdu;
  /** `invite_room_state`. */
  readonly offered: readonly Pdu[];
}

export async function requestInvite(federation: FederationClient, req: InviteRequest): Promise<unknown> {
  const { server, pdu } = req;
  const offered = req.offered as unknown as JsonValue[];
  const tail = `${encodeURIComponent(req.roomId)}/${encodeURIComponent(req.eventId)}`;
  try {
    const res = await federation.put<unknown>(server, `/_matrix/federation/v2/invite/${tail}`, {
      room_version: req.version.id,
      event: pdu as unknown as JsonObject,
      invite_room_state: offered,
    });
    const event = isJsonObject(res) ? res.event : undefined;
    if (event === undefined) throw new InvalidRemoteResponse(server, "v2 invite answer has no event");
    return event;
  } catch (err) {
    const v1Allowed = req.version.eventFormat === "v1";
    if (!(v1Allowed && err instanceof RemoteError && (err.status === 400 || err.status === 404))) throw err;
    const body = { ...pdu, unsigned: { ...(pdu.unsigned ?? {}), invite_room_state: offered } } as unknown as JsonObject;
    const res = await federation.put<unknown>(server, `/_matrix/federation/v1/invite/${tail}`, body);
    const event = Array.isArray(res) && res[1] && typeof res[1] === "object" ? (res[1] as { event?: unknown }).event : undefined;
    if (event === undefined) throw new InvalidRemoteResponse(server, "v1 invite answer is not [200, {event}]");
    return event;
  }
}
