/**
 * What an inbound EDU handler works with, and the checks several of them share:
 * "is a user belonging to the sending server" (server-server-api.md "Typing Notifications",
 * and every EDU that speaks for a user), "the user is in the room", and "a user the receiving
 * server would be interested in" (presence, device lists: we share a room with them).
 */
import { domainOf, isHistoricalUserId, isValidRoomId } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import type { Logger } from "../../log.js";
import type { Storage } from "../../storage/storage.js";
import type { EduServices } from "../index.js";

export interface InboundEduContext {
  readonly edu: EduServices;
  readonly storage: Storage;
  /** Our server name: to-device recipients must be ours. */
  readonly serverName: string;
  /** The authenticated server that sent the transaction. */
  readonly origin: string;
  readonly log: Logger;
}

/** A handler validates synchronously and returns the store write it started, if any. */
export type EduHandler = (ctx: InboundEduContext, content: JsonObject) => Promise<unknown> | undefined;

/** A well-formed user ID of the origin server. */
export function isOriginUser(ctx: InboundEduContext, userId: unknown): userId is string {
  return typeof userId === "string" && isHistoricalUserId(userId) && domainOf(userId) === ctx.origin;
}

export function isLocalUser(ctx: InboundEduContext, userId: unknown): userId is string {
  return typeof userId === "string" && isHistoricalUserId(userId) && domainOf(userId) === ctx.serverName;
}

export function isRoomId(v: unknown): v is string {
  return typeof v === "string" && isValidRoomId(v);
}

/** The user is joined to at least one room we hold. */
export function sharesARoom(storage: Storage, userId: string): boolean {
  return storage.rooms.roomsOfUser(userId, "join").length > 0;
}
