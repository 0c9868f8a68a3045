/**
 * What every membership handshake we start shares (server-server-api.md "Joining Rooms",
 * "Knocking upon a room", "Leaving Rooms"):
 *
 * - only for a local user;
 * - when our server is already in the room, the membership is an ordinary local event (the
 *   handshakes exist because a server outside the room cannot build the event itself);
 * - otherwise each candidate resident in turn, until one completes the handshake or refuses in
 *   a way that speaks for the room (remote-errors.ts `tryNextServer`); the client gets the
 *   last failure, mapped (remote-errors.ts `toClientError`).
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { domainOf } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import type { Logger } from "../../log.js";
import { toClientError, tryNextServer } from "./remote-errors.js";

export interface MembershipResult {
  readonly roomId: string;
  readonly eventId: string;
}

export interface HandshakeRequest {
  readonly roomId: string;
  readonly userId: string;
  /** Candidate residents, best first. */
  readonly servers: readonly string[];
}

/** Our server has a joined member in the room: it is part of the room's DAG. */
export function weAreInRoom(app: App, roomId: string): boolean {
  const room = app.storage.rooms.getRoom(roomId);
  return room !== undefined && app.storage.rooms.hasJoinedServer(room.roomNid, app.serverName);
}

/**
 * Run `viaServer` for each candidate until one succeeds, or send the membership locally when
 * we are in the room. `local` is the membership event's content for that case.
 */
export async function runHandshake<T extends MembershipResult>(
  app: App,
  log: Logger,
  membership: "join" | "knock" | "leave",
  req: HandshakeRequest,
  localContent: JsonObject,
  viaServer: (server: string) => Promise<T>,
  localResult: (r: MembershipResult) => T,
): Promise<T> {
  if (domainOf(req.userId) !== app.serverName) throw Errors.invalidParam(`${req.userId} is not a user of this server`);
  if (weAreInRoom(app, req.roomId)) {
    const sent = await app.rooms.send(req.roomId, { type: "m.room.member", stateKey: req.userId, sender: req.userId, content: { ...localContent, membership } });
    return localResult({ roomId: req.roomId, eventId: sent.eventId });
  }
  const candidates = [...new Set(req.servers)].filter((s) => s !== app.serverName && s.length > 0);
  if (candidates.length === 0) throw Errors.notFound(`No known servers to ${membership} the room through`);
  let last: unknown;
  for (const server of candidates) {
    try {
      return await viaServer(server);
    } catch (err) {
      last = err;
      log.info({ room_id: req.roomId, user_id: req.userId, server, err: String(err) }, `${membership} through server failed`);
      if (!tryNextServer(err)) break;
    }
  }
  throw toClientError(last, membership);
}
