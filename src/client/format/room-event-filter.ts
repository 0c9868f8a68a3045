/**
 * `RoomEventFilter` and `EventFilter` (data/api/client-server/definitions/room_event_filter.yaml,
 * event_filter.yaml): parsing with the schema's types, and matching events. Shared by
 * /messages, /context and /sync (whose `timeline`, `state`, `ephemeral` and `account_data`
 * sections are these filters too).
 *
 * - Lists absent → no restriction; a `not_*` match excludes "even if it is listed" in the
 *   positive list.
 * - `types`/`not_types`: "A `*` can be used as a wildcard to match any sequence of characters".
 *   Senders and rooms are matched exactly.
 * - `contains_url`: true → only events whose content has a `url` key; false → only events
 *   without one; absent → not considered.
 * - `limit`: "must be an integer greater than 0".
 * - `lazy_load_members` / `include_redundant_members` ("Lazy-loading room members") and
 *   `unread_thread_notifications` are carried for the endpoints to act on.
 *
 * Shape errors are 400 M_BAD_JSON, like any other malformed JSON request data.
 */
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import { requireJsonObject } from "../../json.js";

export interface EventFilter {
  readonly limit: number | undefined;
  readonly types: readonly string[] | undefined;
  readonly notTypes: readonly string[] | undefined;
  readonly senders: readonly string[] | undefined;
  readonly notSenders: readonly string[] | undefined;
}

export interface RoomEventFilter extends EventFilter {
  readonly rooms: readonly string[] | undefined;
  readonly notRooms: readonly string[] | undefined;
  readonly containsUrl: boolean | undefined;
  readonly lazyLoadMembers: boolean;
  readonly includeRedundantMembers: boolean;
  readonly unreadThreadNotifications: boolean;
}

/** What a filter looks at. */
export interface FilterableEvent {
  readonly type: string;
  readonly sender?: string;
  readonly roomId?: string;
  readonly content?: JsonObject;
}

export const EMPTY_ROOM_EVENT_FILTER: RoomEventFilter = Object.freeze({
  limit: undefined,
  types: undefined,
  notTypes: undefined,
  senders: undefined,
  notSenders: undefined,
  rooms: undefined,
  notRooms: undefined,
  containsUrl: undefined,
  lazyLoadMembers: false,
  includeRedundantMembers: false,
  unreadThreadNotifications: false,
});

/** An `EventFilter` object (e.g. /sync `presence`, `account_data`). */
export function parseEventFilter(value: unknown, where = "filter"): EventFilter {
  const o = requireJsonObject(value, where);
  return {
    limit: limitOf(o, where),
    types: stringList(o, "types", where),
    notTypes: stringList(o, "not_types", where),
    senders: stringList(o, "senders", where),
    notSenders: stringList(o, "not_senders", where),
  };
}

/** A `RoomEventFilter` object. */
export function parseRoomEventFilter(value: unknown, where = "filter"): RoomEventFilter {
  const o = requireJsonObject(value, where);
  return {
    ...parseEventFilter(o, where),
    rooms: stringList(o, "rooms", where),
    notRooms: stringList(o, "not_rooms", where),
    containsUrl: bool(o, "contains_url", where),
    lazyLoadMembers: bool(o, "lazy_load_members", where) ?? false,
    includeRedundantMembers: bool(o, "include_redundant_members", where) ?? false,
    unreadThreadNotifications: bool(o, "unread_thread_notifications", where) ?? false,
  };
}

/** The `filter` query parameter of /messages and /context: a JSON-encoded RoomEventFilter. */
export function parseRoomEventFilterParam(text: string | null): RoomEventFilter {
  if (text === null || text === "") return EMPTY_ROOM_EVENT_FILTER;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw Errors.badJson("The filter parameter is not valid JSON");
  }
  return parseRoomEventFilter(value);
}

/** Does `ev` pass the sender and type conditions of an `EventFilter`? */
export function matchesEventFilter(filter: EventFilter, ev: FilterableEvent): boolean {
  if (ev.sender !== undefined) {
    if (filter.notSenders?.includes(ev.sender)) return false;
    if (filter.senders && !filter.senders.includes(ev.sender)) return false;
  }
  if (filter.notTypes && filter.notTypes.some((p) => typeMatches(p, ev.type))) return false;
  if (filter.types && !filter.types.some((p) => typeMatches(p, ev.type))) return false;
  return true;
}

/** Does `ev` pass every condition of a `RoomEventFilter`? */
export function matchesRoomEventFilter(filter: RoomEventFilter, ev: FilterableEvent): boolean {
  if (!matchesEventFilter(filter, ev)) return false;
  if (ev.roomId !== undefined && !roomAllowed(filter, ev.roomId)) return false;
  if (filter.containsUrl !== undefined) {
    const hasUrl = ev.content !== undefined && Object.prototype.hasOwnProperty.call(ev.content, "url");
    if (hasUrl !== filter.containsUrl) return false;
  }
  return true;
}

/** The `rooms` / `not_rooms` conditions alone (to skip whole rooms before reading events). */
export function roomAllowed(filter: Pick<RoomEventFilter, "rooms" | "notRooms">, roomId: string): boolean {
  if (filter.notRooms?.includes(roomId)) return false;
  return filter.rooms === undefined || filter.rooms.includes(roomId);
}

/** Whether the filter lets every event through (callers may skip matching). */
export function passesEverything(filter: RoomEventFilter): boolean {
  return (
    filter.types === undefined &&
    filter.notTypes === undefined &&
    filter.senders === undefined &&
    filter.notSenders === undefined &&
    filter.rooms === undefined &&
    filter.notRooms === undefined &&
    filter.containsUrl === undefined
  );
}

// ---- matching ------------------------------------------------------------------------------

const patternCache = new Map<string, RegExp>();

/** `*` matches any sequence of characters; everything else literally. */
export function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes("*")) return pattern === type;
  let re = patternCache.get(pattern);
  if (re === undefined) {
    const body = pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`, "s");
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re.test(type);
}

// ---- parsing helpers -----------------------------------------------------------------------

function stringList(o: Record<string, unknown>, key: string, where: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw Errors.badJson(`${where}.${key} must be an array of strings`);
  return v as string[];
}

function bool(o: Record<string, unknown>, key: string, where: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw Errors.badJson(`${where}.${key} must be a boolean`);
  return v;
}

function limitOf(o: Record<string, unknown>, where: string): number | undefined {
  const v = o["limit"];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw Errors.badJson(`${where}.limit must be an integer greater than 0`);
  return v;
}
