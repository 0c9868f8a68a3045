/**
 * What the resident side of every handshake needs first: the room, and proof that we are
 * still in it (one of our users is joined). A server that left a room, or only holds an
 * invite to it, cannot build templates or accept membership events for it: to the peer it is
 * an unknown room, 404 `M_NOT_FOUND` (joins-v1.yaml "The room that the joining server is
 * attempting to join is unknown to the receiving server").
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import type { RoomContext } from "../room-context.js";

/** The services the membership handshakes use. */
export type MembershipDeps = Pick<App, "serverName" | "storage" | "pool" | "rooms" | "keyRing" | "log">;

export function isResident(deps: Pick<App, "storage" | "serverName">, roomNid: number): boolean {
  return deps.storage.rooms.hasJoinedServer(roomNid, deps.serverName);
}

/** The room's context, or 404 M_NOT_FOUND when we do not know it or are not in it. */
export function residentRoom(deps: Pick<App, "storage" | "serverName" | "rooms">, roomId: string): RoomContext {
  const ctx = deps.rooms.context(roomId);
  if (!ctx || !isResident(deps, ctx.roomNid)) throw Errors.notFound("Unknown room");
  return ctx;
}
