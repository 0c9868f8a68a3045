/**
 * The membership handshakes, resident and invitee sides (server-server-api.md "Joining Rooms",
 * "Knocking upon a room", "Inviting to a room", "Leaving Rooms", "Third-party invites").
 * Every room-scoped endpoint here is ACL-protected (server-server-api.md "Server Access Control
 * Lists": make_join, make_leave, send_join v1/v2, send_leave v1/v2, invite v1/v2, make_knock,
 * send_knock).
 *
 * Also keeps the pending invites and knocks of local users in step with our rooms
 * (src/rooms/membership/pending-tracker.ts).
 */
import type { RouteRegistrar } from "../../app.js";
import { trackPendingMemberships } from "../../rooms/membership/pending-tracker.js";
import { inviteV1Handler, inviteV2Handler } from "./invite.js";
import { makeJoinHandler } from "./make-join.js";
import { makeKnockHandler } from "./make-knock.js";
import { makeLeaveHandler } from "./make-leave.js";
import { sendJoinV1Handler, sendJoinV2Handler } from "./send-join.js";
import { sendKnockHandler } from "./send-knock.js";
import { sendLeaveV1Handler, sendLeaveV2Handler } from "./send-leave.js";
import { exchangeThirdPartyInviteHandler, onBindHandler } from "./third-party-invite.js";

const V1 = "/_matrix/federation/v1";
const V2 = "/_matrix/federation/v2";

export const registerMembershipRoutes: RouteRegistrar = (router, app) => {
  const fed = { auth: "federation" } as const;
  router.get(`${V1}/make_join/:roomId/:userId`, makeJoinHandler(app), fed);
  router.put(`${V1}/send_join/:roomId/:eventId`, sendJoinV1Handler(app), fed);
  router.put(`${V2}/send_join/:roomId/:eventId`, sendJoinV2Handler(app), fed);
  router.get(`${V1}/make_leave/:roomId/:userId`, makeLeaveHandler(app), fed);
  router.put(`${V1}/send_leave/:roomId/:eventId`, sendLeaveV1Handler(app), fed);
  router.put(`${V2}/send_leave/:roomId/:eventId`, sendLeaveV2Handler(app), fed);
  router.get(`${V1}/make_knock/:roomId/:userId`, makeKnockHandler(app), fed);
  router.put(`${V1}/send_knock/:roomId/:eventId`, sendKnockHandler(app), fed);
  router.put(`${V1}/invite/:roomId/:eventId`, inviteV1Handler(app), fed);
  router.put(`${V2}/invite/:roomId/:eventId`, inviteV2Handler(app), fed);
  router.put(`${V1}/exchange_third_party_invite/:roomId`, exchangeThirdPartyInviteHandler(app), fed);
  router.put(`${V1}/3pid/onbind`, onBindHandler);

  trackPendingMemberships(app.rooms, app.log);
};
