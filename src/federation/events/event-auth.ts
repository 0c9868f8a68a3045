/**
 * `GET /_matrix/federation/v1/event_auth/{roomId}/{eventId}` (event_auth.yaml; server-server-api.md
 * "Retrieving event authorisation information"): the complete auth chain of the event, i.e.
 * its auth events and theirs, recursively, not the event itself. Auth events come before the
 * events they authorise. ACL-protected (a listed prefix); the requester must be in the room.
 */
import type { App } from "../../app.js";
import type { FederationAuth, Handler } from "../../http/request.js";
import { authChainRecords } from "../../rooms/auth-chain.js";
import { withPduArrays } from "./pdu-json.js";
import { requireEventInRoom, requireRoomForServer } from "./room-access.js";

export function getEventAuthHandler(app: App): Handler<FederationAuth> {
  return (req) => {
    const access = requireRoomForServer(app, req.params.roomId!, req.auth.origin);
    const rec = requireEventInRoom(app, access, req.params.eventId!);
    const chain = authChainRecords(app.rooms, [rec.nid]);
    return withPduArrays({}, { auth_chain: chain.map((r) => r.pduJson) });
  };
}
