/**
 * Client-server "Room aliases" (directory.yaml):
 * - `PUT /directory/room/{roomAlias}` `{room_id}`: the alias must be valid and ours (400
 *   M_INVALID_PARAM), the room one we hold (404 M_NOT_FOUND); a taken alias is 409 (the YAML's
 *   example errcode: M_UNKNOWN).
 * - `GET /directory/room/{roomAlias}` (no authentication): ours from the store, others over
 *   federation (resolve-alias.ts); 404 M_NOT_FOUND when unknown.
 * - `DELETE /directory/room/{roomAlias}`: by the alias's creator, or by a user with the power
 *   to send `m.room.canonical_alias` in the room (room-permissions.ts); else 403.
 * - `GET /rooms/{roomId}/aliases`: our aliases of the room, for its joined members, or anyone
 *   when its history is `world_readable`; else 403 M_FORBIDDEN.
 */
import type { App } from "../app.js";
import { Errors } from "../errors.js";
import { domainOf, isValidRoomAlias, isValidRoomId } from "../events/ids.js";
import type { Router } from "../http/router.js";
import { json } from "../http/request.js";
import { isWorldReadable } from "../client/rooms/access.js";
import { AliasStore } from "./alias-store.js";
import { resolveAlias } from "./resolve-alias.js";
import { mayCurateDirectory } from "./room-permissions.js";

const V3 = "/_matrix/client/v3";

export function registerClientAliasRoutes(router: Router, app: App): void {
  const aliases = new AliasStore(app.storage);

  router.put(
    `${V3}/directory/room/:roomAlias`,
    async (req) => {
      const alias = localAlias(app, req.params.roomAlias!);
      const roomId = (req.body as Record<string, unknown>).room_id;
      if (roomId === undefined) throw Errors.missingParam("Missing room_id");
      if (typeof roomId !== "string" || !isValidRoomId(roomId)) throw Errors.invalidParam("Invalid room_id");
      const room = app.storage.rooms.getRoom(roomId);
      if (room === undefined || room.createEventId === null) throw Errors.notFound("Room not found");
      if (!(await aliases.create(alias, roomId, req.auth.userId))) throw Errors.unknown(`Room alias ${alias} already exists.`, 409);
      return json({});
    },
    { auth: "client" },
  );

  router.get(`${V3}/directory/room/:roomAlias`, async (req) => {
    const alias = req.params.roomAlias!;
    if (!isValidRoomAlias(alias)) throw Errors.invalidParam("Room alias invalid");
    return json(await resolveAlias(app, alias));
  });

  router.delete(
    `${V3}/directory/room/:roomAlias`,
    async (req) => {
      const alias = localAlias(app, req.params.roomAlias!);
      const entry = aliases.get(alias);
      if (entry === undefined) throw Errors.notFound(`Room alias ${alias} not found.`);
      const userId = req.auth.userId;
      if (entry.creator !== userId && !mayCurateDirectory(app, entry.roomId, userId)) {
        throw Errors.forbidden("You may not delete this alias");
      }
      if ((await aliases.delete(alias)) === undefined) throw Errors.notFound(`Room alias ${alias} not found.`);
      return json({});
    },
    { auth: "client" },
  );

  router.get(
    `${V3}/rooms/:roomId/aliases`,
    (req) => {
      const roomId = req.params.roomId!;
      if (!isValidRoomId(roomId)) throw Errors.invalidParam("Room ID invalid");
      const room = app.storage.rooms.getRoom(roomId);
      const member = room !== undefined && app.storage.rooms.membership(room.roomNid, req.auth.userId)?.membership === "join";
      if (room === undefined || (!member && !isWorldReadable(app, room.roomNid))) {
        throw Errors.forbidden("You are not a member of the room.");
      }
      return json({ aliases: aliases.aliasesOf(roomId) });
    },
    { auth: "client" },
  );
}

/** A valid alias on our server (we can only maintain our own: "Room aliases"). */
function localAlias(app: App, alias: string): string {
  if (!isValidRoomAlias(alias)) throw Errors.invalidParam("Room alias invalid");
  if (domainOf(alias) !== app.serverName) throw Errors.invalidParam("Room alias must be on this server");
  return alias;
}
