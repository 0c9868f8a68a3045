/**
 * `GET /_matrix/federation/v1/make_leave/{roomId}/{userId}` (leaving-v1.yaml;
 * server-server-api.md "Leaving Rooms (Rejecting Invites)"). Also how a remote user rejects an
 * invite or retracts a knock. Not allowed (e.g. "the user is not in the room") → 403.
 */
import { assertServerAllowed } from "../acl.js";
import { json, type FederationAuth, type Handler } from "../../http/request.js";
import { makeMembershipEvent } from "../../rooms/membership/make-membership.js";
import type { MembershipDeps } from "../../rooms/membership/resident-room.js";

export function makeLeaveHandler(deps: MembershipDeps): Handler<FederationAuth> {
  return (req) => {
    const roomId = req.params.roomId!;
    assertServerAllowed(deps.storage, roomId, req.auth.origin);
    return json(makeMembershipEvent(deps, { roomId, userId: req.params.userId!, origin: req.auth.origin, membership: "leave" }));
  };
}
