/**
 * Client-server "Published room directory" (list_public_rooms.yaml):
 * - `GET /directory/list/room/{roomId}` (no authentication): `{visibility}`; 404 for a room we
 *   do not hold.
 * - `PUT /directory/list/room/{roomId}` `{visibility}` (default `public`): for joined users
 *   with the power to send `m.room.canonical_alias` (room-permissions.ts), else 403.
 * - `GET /publicRooms` (no authentication) and `POST /publicRooms` (authenticated, with a
 *   filter): our directory, or with `server=` another server's, fetched with the federation
 *   `/publicRooms` (GET or POST alike) and passed through.
 */
import type { App } from "../app.js";
import { Errors } from "../errors.js";
import { isValidRoomId, isValidServerName } from "../events/ids.js";
import type { Router } from "../http/router.js";
import { json } from "../http/request.js";
import { withQuery } from "../outbound/federation-client.js";
import { listPublicRooms, type PublicRoomsQuery } from "./public-rooms.js";
import { federationBodyOf, publicRoomsQueryFromBody, publicRoomsQueryFromParams } from "./public-rooms-request.js";
import { roomDirectoryVisibility, setRoomDirectoryVisibility } from "./published-rooms.js";
import { mayCurateDirectory } from "./room-permissions.js";

const V3 = "/_matrix/client/v3";
const REMOTE_TIMEOUT_MS = 20_000;

export function registerClientPublicRoomsRoutes(router: Router, app: App): void {
  router.get(`${V3}/directory/list/room/:roomId`, (req) => {
    const roomId = knownRoom(app, req.params.roomId!);
    return json({ visibility: roomDirectoryVisibility(app.storage, roomId) });
  });

  router.put(
    `${V3}/directory/list/room/:roomId`,
    async (req) => {
      const roomId = knownRoom(app, req.params.roomId!);
      const v = (req.body as Record<string, unknown>).visibility ?? "public";
      if (v !== "public" && v !== "private") throw Errors.invalidParam("visibility must be 'public' or 'private'");
      const userId = req.auth.userId;
      if (!app.storage.rooms.isJoined(roomId, userId) || !mayCurateDirectory(app, roomId, userId)) {
        throw Errors.forbidden("You may not change this room's directory visibility");
      }
      await setRoomDirectoryVisibility(app.storage, roomId, v);
      return json({});
    },
    { auth: "client" },
  );

  router.get(`${V3}/publicRooms`, (req) => publicRooms(app, req.query.get("server"), publicRoomsQueryFromParams(req.query)));
  router.post(`${V3}/publicRooms`, (req) => publicRooms(app, req.query.get("server"), publicRoomsQueryFromBody(req.body)), {
    auth: "client",
  });
}

async function publicRooms(app: App, server: string | null, q: PublicRoomsQuery) {
  if (server === null || server === "" || server === app.serverName) return json(listPublicRooms(app.rooms, q));
  if (!isValidServerName(server)) throw Errors.invalidParam("Invalid server name");
  const path = "/_matrix/federation/v1/publicRooms";
  let body: unknown;
  try {
    // GET when the request has nothing only the POST form carries (as the spec pairs them).
    body =
      q.genericSearchTerm === undefined && q.roomTypes === undefined
        ? await app.federation.get(
            server,
            withQuery(path, {
              limit: q.limit,
              since: q.since,
              include_all_networks: q.includeAllNetworks,
              third_party_instance_id: q.thirdPartyInstanceId,
            }),
            { timeoutMs: REMOTE_TIMEOUT_MS },
          )
        : await app.federation.post(server, path, federationBodyOf(q), { timeoutMs: REMOTE_TIMEOUT_MS });
  } catch (err) {
    throw Errors.unknown(`Failed to fetch the room directory of ${server}: ${(err as Error).message}`, 502);
  }
  const o = body as { chunk?: unknown } | null;
  if (o === null || typeof o !== "object" || !Array.isArray(o.chunk)) {
    throw Errors.unknown(`${server} answered /publicRooms without a chunk`, 502);
  }
  return json(o);
}

function knownRoom(app: App, roomId: string): string {
  if (!isValidRoomId(roomId)) throw Errors.invalidParam("Room ID invalid");
  const room = app.storage.rooms.getRoom(roomId);
  if (room === undefined || room.createEventId === null) throw Errors.notFound("Room not found");
  return roomId;
}
