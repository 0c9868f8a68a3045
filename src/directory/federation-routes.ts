/**
 * The directory's federation endpoints:
 * - `GET /_matrix/federation/v1/query/directory?room_alias=` (query.yaml): `{room_id, servers}`
 *   for one of OUR aliases; 404 M_NOT_FOUND for anything else (we hold no other server's).
 * - `GET/POST /_matrix/federation/v1/publicRooms` (public_rooms.yaml): our published rooms
 *   only ("This SHOULD not return rooms that are listed on another homeserver's directory").
 * - `GET /_matrix/federation/v1/hierarchy/{roomId}` (space_hierarchy.yaml).
 */
import type { RouteRegistrar } from "../app.js";
import { Errors } from "../errors.js";
import { domainOf, isValidRoomAlias } from "../events/ids.js";
import { json } from "../http/request.js";
import { requiredParam } from "../federation/events/query-params.js";
import { getFederationHierarchyHandler } from "./federation-hierarchy.js";
import { listPublicRooms } from "./public-rooms.js";
import { publicRoomsQueryFromBody, publicRoomsQueryFromParams } from "./public-rooms-request.js";
import { resolveLocalAlias } from "./resolve-alias.js";

const V1 = "/_matrix/federation/v1";

export const registerDirectoryFederationRoutes: RouteRegistrar = (router, app) => {
  const fed = { auth: "federation" } as const;

  router.get(
    `${V1}/query/directory`,
    (req) => {
      const alias = requiredParam(req.query, "room_alias");
      if (!isValidRoomAlias(alias)) throw Errors.invalidParam("Room alias invalid");
      const found = domainOf(alias) === app.serverName ? resolveLocalAlias(app, alias) : undefined;
      if (found === undefined) throw Errors.notFound("Room alias not found.");
      return json(found);
    },
    fed,
  );

  router.get(`${V1}/publicRooms`, (req) => json(listPublicRooms(app.rooms, publicRoomsQueryFromParams(req.query))), fed);
  router.post(`${V1}/publicRooms`, (req) => json(listPublicRooms(app.rooms, publicRoomsQueryFromBody(req.body))), fed);

  router.get(`${V1}/hierarchy/:roomId`, getFederationHierarchyHandler(app), fed);
};
