/**
 * `GET /_matrix/federation/v1/make_knock/{roomId}/{userId}?ver=…` (knocks.yaml;
 * server-server-api.md "Knocking upon a room"). `ver` is required ("knocking was supported in
 * v7"): absent → 400 M_MISSING_PARAM. Rooms below v7 → 400 M_INCOMPATIBLE_ROOM_VERSION.
 */
import { Errors } from "../../errors.js";
import { assertServerAllowed } from "../acl.js";
import { json, type FederationAuth, type Handler } from "../../http/request.js";
import { makeMembershipEvent } from "../../rooms/membership/make-membership.js";
import type { MembershipDeps } from "../../rooms/membership/resident-room.js";

export function makeKnockHandler(deps: MembershipDeps): Handler<FederationAuth> {
  return (req) => {
    const roomId = req.params.roomId!;
    assertServerAllowed(deps.storage, roomId, req.auth.origin);
    const ver = req.query.getAll("ver");
    if (ver.length === 0) throw Errors.missingParam("Missing required query parameter 'ver'");
    return json(
      makeMembershipEvent(deps, { roomId, userId: req.params.userId!, origin: req.auth.origin, membership: "knock", supportedVersions: ver }),
    );
  };
}
