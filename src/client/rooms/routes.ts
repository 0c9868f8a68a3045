/**
 * The client-server room endpoints (one file per family in this folder). Every route needs an
 * access token; the ones that create events or start federation work are rate limited
 * (src/client/rate-limit.ts). Registering also installs the persist/commit hooks of the client
 * transaction IDs and forgotten rooms, so they exist before the first request.
 */
import type { RouteRegistrar } from "../../app.js";
import { rateLimited } from "../rate-limit.js";
import { contextHandler } from "./context.js";
import { createRoomHandler } from "./create-room.js";
import { getEventHandler, joinedMembersHandler, joinedRoomsHandler, membersHandler } from "./events.js";
import { forgottenRoomsOf } from "./forgotten.js";
import { joinByIdHandler, joinByIdOrAliasHandler } from "./join.js";
import { knockHandler } from "./knock.js";
import { banHandler, forgetHandler, inviteHandler, kickHandler, leaveHandler, unbanHandler } from "./membership.js";
import { messagesHandler } from "./messages.js";
import { redactHandler } from "./redact.js";
import { sendHandler } from "./send.js";
import { getStateEventHandler, getStateHandler, putStateHandler } from "./state.js";
import { clientTxnsOf } from "./transactions.js";

const V3 = "/_matrix/client/v3";
const ROOM = `${V3}/rooms/:roomId`;

export const registerClientRoomRoutes: RouteRegistrar = (router, app) => {
  clientTxnsOf(app);
  forgottenRoomsOf(app);
  const client = { auth: "client" } as const;
  const optionalBody = { auth: "client", body: "object-or-empty" } as const;
  const limited = <A>(h: Parameters<typeof rateLimited<A>>[1]) => rateLimited(app, h);

  router.post(`${V3}/createRoom`, limited(createRoomHandler(app)), client);

  // membership
  router.post(`${ROOM}/join`, limited(joinByIdHandler(app)), optionalBody);
  router.post(`${V3}/join/:roomIdOrAlias`, limited(joinByIdOrAliasHandler(app)), optionalBody);
  router.post(`${V3}/knock/:roomIdOrAlias`, limited(knockHandler(app)), optionalBody);
  router.post(`${ROOM}/invite`, limited(inviteHandler(app)), client);
  router.post(`${ROOM}/leave`, limited(leaveHandler(app)), optionalBody);
  router.post(`${ROOM}/forget`, forgetHandler(app), optionalBody);
  router.post(`${ROOM}/kick`, limited(kickHandler(app)), client);
  router.post(`${ROOM}/ban`, limited(banHandler(app)), client);
  router.post(`${ROOM}/unban`, limited(unbanHandler(app)), client);
  router.get(`${V3}/joined_rooms`, joinedRoomsHandler(app), client);

  // sending
  router.put(`${ROOM}/send/:eventType/:txnId`, limited(sendHandler(app)), client);
  router.put(`${ROOM}/redact/:eventId/:txnId`, limited(redactHandler(app)), client);
  router.put(`${ROOM}/state/:eventType`, limited(putStateHandler(app)), client);
  router.put(`${ROOM}/state/:eventType/:stateKey`, limited(putStateHandler(app)), client);

  // reading
  router.get(`${ROOM}/state`, getStateHandler(app), client);
  router.get(`${ROOM}/state/:eventType`, getStateEventHandler(app), client);
  router.get(`${ROOM}/state/:eventType/:stateKey`, getStateEventHandler(app), client);
  router.get(`${ROOM}/event/:eventId`, getEventHandler(app), client);
  router.get(`${ROOM}/members`, membersHandler(app), client);
  router.get(`${ROOM}/joined_members`, joinedMembersHandler(app), client);
  router.get(`${ROOM}/messages`, messagesHandler(app), client);
  router.get(`${ROOM}/context/:eventId`, contextHandler(app), client);
};
