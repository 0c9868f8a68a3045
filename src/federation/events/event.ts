/**
 * `GET /_matrix/federation/v1/event/{eventId}` (server-server-api.md "Retrieving events",
 * events.yaml): a transaction holding the one PDU (definitions/single_pdu_transaction.yaml).
 *
 * Unknown event → 404 M_NOT_FOUND. The room's checks (ACL, requester in the room) apply to the
 * event's room (room-access.ts); an event the requester may not see is served redacted.
 * Rejected and soft-failed events are served too: other servers reference them in the DAG.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import type { FederationAuth, Handler } from "../../http/request.js";
import { pduTransaction } from "./pdu-json.js";
import { pduJsonForServer, requireRoomForServer } from "./room-access.js";

export function getEventHandler(app: App): Handler<FederationAuth> {
  return (req) => {
    const eventId = req.params.eventId!;
    const rec = app.storage.events.getEvent(eventId);
    const room = rec && app.storage.rooms.getRoomByNid(rec.roomNid);
    if (rec === undefined || room === undefined) throw Errors.notFound(`Could not find event ${eventId}`);
    const access = requireRoomForServer(app, room.roomId, req.auth.origin);
    return pduTransaction(app.serverName, [pduJsonForServer(access, rec)]);
  };
}
