/**
 * Where our users' EDUs go (server-server-api.md "EDUs" and the sections after it):
 *
 * - room-scoped EDUs (m.typing, m.receipt) to the servers with a joined member in the room,
 *   minus us and minus servers the room's ACL denies (they "MUST ignore" them anyway: "Server
 *   Access Control Lists");
 * - user-scoped EDUs (m.presence, m.device_list_update) to every server sharing a room with the
 *   user ("Servers should only send presence updates for users that the receiving server would
 *   be interested in"; device list updates go "to all the servers who share a room with a given
 *   local user").
 *
 * `queueEduSafely` hands an EDU to the outbound queues (durable once it resolves) and logs
 * instead of failing the client request: EDUs are best-effort, the local change already stood.
 */
import { deviceListDestinations } from "../../accounts/device-list-edus.js";
import type { App } from "../../app.js";
import type { JsonObject } from "../../events/types.js";
import { isServerAllowed, roomServerAcl } from "../../federation/acl.js";
import { logger } from "../../log.js";
import { queueEdu } from "../../outbound/queue/index.js";

const log = logger("client.edu-out");

export function roomDestinations(app: App, roomId: string): string[] {
  const room = app.storage.rooms.getRoom(roomId);
  if (room === undefined) return [];
  const servers = app.storage.rooms.joinedServers(room.roomNid).filter((s) => s !== app.serverName);
  const acl = servers.length === 0 ? undefined : roomServerAcl(app.storage, room.roomNid);
  return acl === undefined ? servers : servers.filter((s) => isServerAllowed(acl, s));
}

export function userDestinations(app: App, userId: string): Set<string> {
  return deviceListDestinations(app.storage.rooms, userId, app.serverName);
}

export function queueEduSafely(app: App, destinations: Iterable<string>, eduType: string, content: JsonObject): Promise<void> {
  const list = [...destinations];
  if (list.length === 0) return Promise.resolve();
  let queued: Promise<void>;
  try {
    queued = queueEdu(app, list, { edu_type: eduType, content });
  } catch (err) {
    queued = Promise.reject(err);
  }
  return queued.catch((err: unknown) => log.warn({ err, edu_type: eduType }, "could not queue EDU"));
}
