/**
 * The resident side of `GET /make_join`, `/make_leave` and `/make_knock` (joins-v1.yaml,
 * leaving-v1.yaml, knocks.yaml). The three differ only in the membership, the `ver` handling
 * and the restricted-join step:
 *
 *   1. (the handler) the room's server ACL must admit the origin → else 403 M_FORBIDDEN;
 *   2. `userId` must be a user of the requesting server ("This MUST be a user ID on the origin
 *      server") → else 403 M_FORBIDDEN (malformed: 400 M_INVALID_PARAM);
 *   3. we must be in the room → else 404 M_NOT_FOUND;
 *   4. join / knock: the room version must be among `ver` (make_join: default `["1"]`), and a
 *      knock needs a room version with knocking (v7+) → else 400 M_INCOMPATIBLE_ROOM_VERSION
 *      with `room_version`;
 *   5. join in a restricted room: choose our authorising user (join-authorisation.ts: 400
 *      M_UNABLE_TO_AUTHORISE_JOIN / M_UNABLE_TO_GRANT_JOIN, 403);
 *   6. the template, auth-checked against the current state → else 403 M_FORBIDDEN.
 */
import { Errors } from "../../errors.js";
import { domainOf, isHistoricalUserId } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import { StateView } from "../state-view.js";
import { authoriseJoin } from "./join-authorisation.js";
import { residentRoom, type MembershipDeps } from "./resident-room.js";
import { buildMembershipTemplate, type TemplateMembership } from "./template.js";

export interface MakeMembershipRequest {
  readonly roomId: string;
  readonly userId: string;
  /** The authenticated requesting server. */
  readonly origin: string;
  readonly membership: TemplateMembership;
  /** The `ver` query values; `undefined` skips the check (make_leave). */
  readonly supportedVersions?: readonly string[];
}

export interface MakeMembershipResponse {
  readonly room_version: string;
  readonly event: JsonObject;
}

export function makeMembershipEvent(deps: MembershipDeps, req: MakeMembershipRequest): MakeMembershipResponse {
  if (!isHistoricalUserId(req.userId)) throw Errors.invalidParam("userId is not a valid user ID");
  if (domainOf(req.userId) !== req.origin) throw Errors.forbidden("The user ID is not on the requesting server");
  const ctx = residentRoom(deps, req.roomId);
  const version = ctx.version;
  if (req.supportedVersions !== undefined && !req.supportedVersions.includes(version.id)) {
    throw Errors.incompatibleRoomVersion(version.id, "Your homeserver does not support the features required to interact with this room");
  }
  if (req.membership === "knock" && !version.knocking) {
    throw Errors.incompatibleRoomVersion(version.id, "This room's version does not support knocking");
  }
  const heads = ctx.storage.rooms.getHeads(ctx.roomNid);
  const state = new StateView(ctx.storage, ctx.loader, heads.stateRoot);
  const authorisedVia = req.membership === "join" ? authoriseJoin(ctx, state, req.userId) : undefined;
  const event = buildMembershipTemplate(
    ctx,
    { userId: req.userId, membership: req.membership, ...(authorisedVia !== undefined ? { authorisedVia } : {}) },
    heads,
  );
  return { room_version: version.id, event };
}
