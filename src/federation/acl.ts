/**
 * Server ACLs (`m.room.server_acl`; client-server modules/server_acls.md, the event schema,
 * server-server-api.md "Server Access Control Lists").
 *
 * Evaluation order, from the event schema:
 *   1. no m.room.server_acl in the room's current state → allow;
 *   2. an IP-literal server name and `allow_ip_literals` present and false → deny;
 *   3. matches `deny` → deny;
 *   4. matches `allow` → allow (a missing `allow` is an empty list: deny everyone);
 *   5. otherwise deny.
 * Globs use `*` and `?` (appendices "Glob-style matching"), are case-insensitive (Matrix 1.19)
 * and are matched against the server name without its port.
 *
 * Callers: every protected federation endpoint (`assertServerAllowed`), and /send per PDU and
 * per room-scoped EDU (`isServerAllowedInRoom`).
 */
import { Errors } from "../errors.js";
import { isIpLiteralServerName, parseServerName } from "../events/ids.js";
import type { JsonObject } from "../events/types.js";
import type { Storage } from "../storage/storage.js";

export const SERVER_ACL = "m.room.server_acl";

export interface ServerAcl {
  readonly allowIpLiterals: boolean;
  readonly allow: readonly RegExp[];
  readonly deny: readonly RegExp[];
}

export function parseServerAcl(content: JsonObject): ServerAcl {
  return {
    allowIpLiterals: content.allow_ip_literals !== false,
    allow: globs(content.allow),
    deny: globs(content.deny),
  };
}

function globs(value: unknown): RegExp[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === "string").map(globToRegExp);
}

/** `*` → any run of characters, `?` → one character, everything else literal; whole string. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (const ch of glob) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else re += ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "is");
}

/** The server name without its port (`[::1]:8448` → `[::1]`, `example.org:80` → `example.org`). */
export function hostWithoutPort(serverName: string): string {
  const parsed = parseServerName(serverName);
  if (!parsed) return serverName;
  return parsed.kind === "ipv6" ? `[${parsed.host}]` : parsed.host;
}

export function isServerAllowed(acl: ServerAcl, serverName: string): boolean {
  if (!acl.allowIpLiterals && isIpLiteralServerName(serverName)) return false;
  const host = hostWithoutPort(serverName);
  if (acl.deny.some((re) => re.test(host))) return false;
  return acl.allow.some((re) => re.test(host));
}

/** Parsed ACLs by event nid: the same ACL event is consulted for every request to its room. */
const cache = new Map<number, ServerAcl>();
const CACHE_MAX = 10_000;

/** The room's current ACL, parsed; undefined when it has none (everyone is allowed). */
export function roomServerAcl(storage: Storage, roomNid: number): ServerAcl | undefined {
  const nid = storage.rooms.currentStateNid(roomNid, SERVER_ACL, "");
  if (nid === undefined) return undefined;
  let acl = cache.get(nid);
  if (!acl) {
    const content = storage.events.getEventByNid(nid)?.pdu.content;
    if (!content) return undefined;
    acl = parseServerAcl(content);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(nid, acl);
  }
  return acl;
}

/** Is `serverName` allowed to take part in `roomId` per the room's current ACL? */
export function isServerAllowedInRoom(storage: Storage, roomId: string, serverName: string): boolean {
  const room = storage.rooms.getRoom(roomId);
  const acl = room && roomServerAcl(storage, room.roomNid);
  return acl === undefined || isServerAllowed(acl, serverName);
}

/** 403 M_FORBIDDEN when the ACL denies `serverName` (server-server-api.md: MUST). */
export function assertServerAllowed(storage: Storage, roomId: string, serverName: string): void {
  if (!isServerAllowedInRoom(storage, roomId, serverName)) {
    throw Errors.forbidden(`Server ${serverName} is denied by the room's server ACL`);
  }
}
