/**
 * `PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId}` (leaving-v2.yaml) → `{}`, and the
 * v1 form removed in Matrix 1.18 but still served for older peers
 * (removed-in-v1.18/leaving-v1.yaml) → `[200, {}]`. The leave (or invite rejection, or knock
 * retraction) goes through the room actor and on to every other server in the room.
 */
import { json, type FederationAuth, type Handler, type HttpRequest } from "../../http/request.js";
import { acceptHandshakeEvent } from "../../rooms/membership/accept-handshake.js";
import type { MembershipDeps } from "../../rooms/membership/resident-room.js";
import { assertServerAllowed } from "../acl.js";

export function sendLeaveV2Handler(deps: MembershipDeps): Handler<FederationAuth> {
  return async (req) => {
    await sendLeave(deps, req);
    return json({});
  };
}

export function sendLeaveV1Handler(deps: MembershipDeps): Handler<FederationAuth> {
  return async (req) => {
    await sendLeave(deps, req);
    return json([200, {}]);
  };
}

async function sendLeave(deps: MembershipDeps, req: HttpRequest<FederationAuth>): Promise<void> {
  const roomId = req.params.roomId!;
  assertServerAllowed(deps.storage, roomId, req.auth.origin);
  await acceptHandshakeEvent(deps, { roomId, eventId: req.params.eventId!, origin: req.auth.origin, membership: "leave", body: req.body });
}
