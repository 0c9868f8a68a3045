/**
 * Alias → room ID and servers to join through (client-server-api "Room aliases": "homeservers
 * MUST handle GET requests to resolve aliases on other servers; they should do this using the
 * federation API if necessary"). Our own aliases come from the alias store; any other server's
 * from `GET /_matrix/federation/v1/query/directory` on that server (query.yaml: "Homeservers
 * should only query room aliases that belong to the target server").
 *
 * Used by the directory endpoints and by joins through an alias.
 */
import type { App } from "../app.js";
import { Errors } from "../errors.js";
import { domainOf, isValidRoomId, isValidServerName } from "../events/ids.js";
import { RemoteError } from "../outbound/errors.js";
import { withQuery } from "../outbound/federation-client.js";
import { AliasStore } from "./alias-store.js";

export interface ResolvedAlias {
  room_id: string;
  servers: string[];
}

/** How long a remote directory query may take before we give up (it runs inside a client request). */
const REMOTE_TIMEOUT_MS = 15_000;

/** One of our aliases, with the servers in the room (ours first); undefined when unknown. */
export function resolveLocalAlias(app: App, alias: string): ResolvedAlias | undefined {
  const entry = new AliasStore(app.storage).get(alias);
  if (entry === undefined) return undefined;
  return { room_id: entry.roomId, servers: residentServers(app, entry.roomId) };
}

/** Servers likely to hold the room: those with joined users, ours first; at least ours. */
export function residentServers(app: App, roomId: string): string[] {
  const room = app.storage.rooms.getRoom(roomId);
  const joined = room === undefined ? [] : app.storage.rooms.joinedServers(room.roomNid);
  return [app.serverName, ...joined.filter((s) => s !== app.serverName).sort()];
}

/** Resolve any alias. 404 M_NOT_FOUND when unknown; 502 when the alias's server cannot answer. */
export async function resolveAlias(app: App, alias: string): Promise<ResolvedAlias> {
  const server = domainOf(alias);
  if (server === app.serverName) {
    const local = resolveLocalAlias(app, alias);
    if (local === undefined) throw Errors.notFound(`Room alias ${alias} not found.`);
    return local;
  }
  if (server === null || !isValidServerName(server)) throw Errors.invalidParam("Room alias invalid");
  let body: unknown;
  try {
    body = await app.federation.get(server, withQuery("/_matrix/federation/v1/query/directory", { room_alias: alias }), {
      timeoutMs: REMOTE_TIMEOUT_MS,
    });
  } catch (err) {
    if (err instanceof RemoteError && err.status === 404) throw Errors.notFound(`Room alias ${alias} not found.`);
    throw Errors.unknown(`Could not resolve ${alias} on ${server}: ${(err as Error).message}`, 502);
  }
  const r = body as { room_id?: unknown; servers?: unknown };
  if (typeof r.room_id !== "string" || !isValidRoomId(r.room_id)) {
    throw Errors.unknown(`${server} answered the directory query without a valid room_id`, 502);
  }
  const servers = Array.isArray(r.servers) ? r.servers.filter((s): s is string => typeof s === "string" && isValidServerName(s)) : [];
  return { room_id: r.room_id, servers };
}
