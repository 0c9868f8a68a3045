/**
 * Identifier grammar (appendices: "Identifier Grammar"): server names, user IDs, room IDs,
 * room aliases, event IDs.
 *
 * Two strictness levels for user IDs: `isValidUserId` is the current grammar (what we allocate
 * and what we accept from clients); `isHistoricalUserId` is what servers MUST still accept in
 * events over federation (any code point but `:` and NUL in the localpart, possibly empty).
 */

export const MAX_ID_BYTES = 255;

export interface ParsedServerName {
  /** Hostname without brackets for IPv6 (`::1`), as given for DNS names. */
  host: string;
  port: number | undefined;
  kind: "ipv4" | "ipv6" | "dns";
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]{2,45}$/;
const DNS_NAME = /^[0-9A-Za-z.-]{1,255}$/;

/** Parse `hostname[:port]`; `null` if it does not match the server name grammar. */
export function parseServerName(name: string): ParsedServerName | null {
  let host: string;
  let portText: string | undefined;
  if (name.startsWith("[")) {
    const close = name.indexOf("]");
    if (close < 0) return null;
    host = name.slice(1, close);
    const rest = name.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return null;
      portText = rest.slice(1);
    }
    if (!IPV6_CHARS.test(host) || !host.includes(":")) return null;
    const port = parsePort(portText);
    if (port === null) return null;
    return { host, port, kind: "ipv6" };
  }
  const colon = name.lastIndexOf(":");
  if (colon >= 0) {
    host = name.slice(0, colon);
    portText = name.slice(colon + 1);
  } else {
    host = name;
  }
  const port = parsePort(portText);
  if (port === null) return null;
  const m = IPV4.exec(host);
  if (m) {
    if (m.slice(1).some((octet) => Number(octet) > 255)) return null;
    return { host, port, kind: "ipv4" };
  }
  if (!DNS_NAME.test(host)) return null;
  return { host, port, kind: "dns" };
}

function parsePort(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

export function isValidServerName(name: string): boolean {
  return parseServerName(name) !== null;
}

/** Whether a server name's host is an IP literal (v4 or v6); used by server ACLs. */
export function isIpLiteralServerName(name: string): boolean {
  const parsed = parseServerName(name);
  return parsed !== null && parsed.kind !== "dns";
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Split `&localpart:domain` at the first `:`; `null` if the sigil or colon is missing. */
export function splitId(id: string, sigil: string): { localpart: string; domain: string } | null {
  if (!id.startsWith(sigil)) return null;
  const colon = id.indexOf(":");
  if (colon < 0) return null;
  return { localpart: id.slice(1, colon), domain: id.slice(colon + 1) };
}

/** The server name part of a user ID, room alias, or domain-bearing room/event ID. */
export function domainOf(id: string): string | null {
  const colon = id.indexOf(":");
  return colon < 0 ? null : id.slice(colon + 1);
}

const USER_LOCALPART = /^[a-z0-9._=\-/+]+$/;

/** Current grammar: `@[a-z0-9._=-/+]+:server_name`, at most 255 bytes. */
export function isValidUserId(id: string): boolean {
  const parts = splitId(id, "@");
  if (!parts || byteLength(id) > MAX_ID_BYTES) return false;
  return USER_LOCALPART.test(parts.localpart) && isValidServerName(parts.domain);
}

/** Historical grammar servers MUST accept in events: localpart without `:` or NUL, may be empty. */
export function isHistoricalUserId(id: string): boolean {
  const parts = splitId(id, "@");
  if (!parts || byteLength(id) > MAX_ID_BYTES) return false;
  return !parts.localpart.includes("\u0000") && !hasLoneSurrogate(parts.localpart) && isValidServerName(parts.domain);
}

export function isValidUserLocalpart(localpart: string): boolean {
  return USER_LOCALPART.test(localpart);
}

/** Room IDs: `!opaque:domain` (v1–v11) or `!opaque` (v12, the create event's hash). */
export function isValidRoomId(id: string): boolean {
  if (!id.startsWith("!") || id.length < 2 || byteLength(id) > MAX_ID_BYTES) return false;
  if (id.includes("\u0000") || hasLoneSurrogate(id)) return false;
  const colon = id.indexOf(":");
  if (colon < 0) return true;
  return colon > 1 && isValidServerName(id.slice(colon + 1));
}

export function isValidRoomAlias(alias: string): boolean {
  const parts = splitId(alias, "#");
  if (!parts || byteLength(alias) > MAX_ID_BYTES) return false;
  return !parts.localpart.includes("\u0000") && !hasLoneSurrogate(parts.localpart) && isValidServerName(parts.domain);
}

/** Event IDs: `$opaque:domain` (v1/v2) or `$hash` (v3+). At most 255 bytes. */
export function isValidEventId(id: string): boolean {
  return id.startsWith("$") && id.length >= 2 && byteLength(id) <= MAX_ID_BYTES && !id.includes("\u0000");
}

/**
 * v12 (rooms/v12.md, appendices "Room IDs"): a room's ID is its create event's ID with the `!`
 * sigil instead of `$` (both are the URL-safe unpadded base64 of the create event's reference
 * hash), so each names the other. Only meaningful where the room version says
 * `roomIdFromCreateEvent`.
 */
export function roomIdOfCreateEvent(createEventId: string): string {
  return `!${createEventId.slice(1)}`;
}

/** The inverse of `roomIdOfCreateEvent`: the create event's ID of a v12 room. */
export function createEventIdOfRoom(roomId: string): string {
  return `$${roomId.slice(1)}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}
