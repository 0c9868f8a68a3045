/**
 * `GET /_matrix/federation/v1/make_join/{roomId}/{userId}?ver=…` (joins-v1.yaml;
 * server-server-api.md "Joining Rooms", "Restricted rooms").
 *
 * `ver`: "The room versions the sending server has support for. Defaults to `[1]`."
 * Answer: `{room_version, event}`, the template of the join (src/rooms/membership/).
 */
import { assertServerAllowed } from "../acl.js";
import { json, type FederationAuth, type Handler } from "../../http/request.js";
import { makeMembershipEvent } from "../../rooms/membership/make-membership.js";
import type { MembershipDeps } from "../../rooms/membership/resident-room.js";

export const MAKE_JOIN_DEFAULT_VERSIONS: readonly string[] = ["1"];

export function makeJoinHandler(deps: MembershipDeps): Handler<FederationAuth> {
  return (req) => {
    const roomId = req.params.roomId!;
    assertServerAllowed(deps.storage, roomId, req.auth.origin);
    const ver = req.query.getAll("ver");
    return json(
      makeMembershipEvent(deps, {
        roomId,
        userId: req.params.userId!,
        origin: req.auth.origin,
        membership: "join",
        supportedVersions: ver.length > 0 ? ver : MAKE_JOIN_DEFAULT_VERSIONS,
      }),
    );
  };
}
