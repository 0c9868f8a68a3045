/**
 * The sync `Filter` (client-server-api "Filtering"; filter.yaml, definitions/sync_filter.yaml):
 * validation, and the compiled form /sync applies. Its parts are `EventFilter`s and
 * `RoomEventFilter`s, parsed and matched by src/client/format/room-event-filter.ts (shared with
 * /messages and /context); this file adds the top level:
 *
 * - `event_fields`: dot-separated paths (appendices.md "Dot-separated property paths") of the
 *   client event fields to keep; "A server may include more fields than were requested";
 * - `event_format`: `client` (default) or `federation` (the PDU as received);
 * - `room.rooms` / `room.not_rooms` ("applied before the filters in ephemeral, state, timeline
 *   or account_data") and `room.include_leave` (default false);
 * - the server's default and cap for `room.timeline.limit`.
 *
 * Stored filters: src/client/sync/filter-store.ts; endpoints: src/client/sync/filter-routes.ts.
 */
import { Errors } from "../errors.js";
import type { JsonObject, JsonValue } from "../events/types.js";
import {
  EMPTY_ROOM_EVENT_FILTER,
  parseEventFilter,
  parseRoomEventFilter,
  roomAllowed,
  type EventFilter,
  type RoomEventFilter,
} from "./format/room-event-filter.js";
import { isJsonObject, requireJsonObject } from "../json.js";

/** Default `timeline.limit` (the spec leaves it to servers; 10 is what clients expect). */
export const DEFAULT_TIMELINE_LIMIT = 10;
/** event_filter.yaml: servers should "impose a maximum value to avoid resource exhaustion". */
export const MAX_TIMELINE_LIMIT = 1000;

const NO_EVENT_FILTER: EventFilter = EMPTY_ROOM_EVENT_FILTER;

/** The compiled sync `Filter`. */
export interface SyncFilter {
  /** The filter as validated (what GET /user/{userId}/filter/{filterId} returns). */
  readonly definition: JsonObject;
  readonly eventFormat: "client" | "federation";
  /** `event_fields` split into property paths; undefined means every field. */
  readonly eventFields: readonly (readonly string[])[] | undefined;
  readonly presence: EventFilter;
  readonly accountData: EventFilter;
  readonly room: SyncRoomFilter;
}

export interface SyncRoomFilter {
  readonly rooms: readonly string[] | undefined;
  readonly notRooms: readonly string[] | undefined;
  readonly includeLeave: boolean;
  readonly timeline: RoomEventFilter;
  /** `timeline.limit` with the default applied and capped. */
  readonly timelineLimit: number;
  readonly state: RoomEventFilter;
  readonly ephemeral: RoomEventFilter;
  readonly accountData: RoomEventFilter;
}

/** Validate a Filter object (400 M_BAD_JSON naming the bad field) and compile it. */
export function compileSyncFilter(value: unknown): SyncFilter {
  const def = requireJsonObject(value, "filter");
  const room = def.room === undefined ? {} : requireJsonObject(def.room, "filter.room");
  const eventFormat = def.event_format ?? "client";
  if (eventFormat !== "client" && eventFormat !== "federation") throw Errors.badJson("filter.event_format must be 'client' or 'federation'");
  const fields = stringList(def.event_fields, "filter.event_fields");
  const timeline = sub(room.timeline, "filter.room.timeline");
  if (room.include_leave !== undefined && typeof room.include_leave !== "boolean") throw Errors.badJson("filter.room.include_leave must be a boolean");
  return {
    definition: def,
    eventFormat,
    eventFields: fields?.map(splitFieldPath),
    presence: def.presence === undefined ? NO_EVENT_FILTER : parseEventFilter(def.presence, "filter.presence"),
    accountData: def.account_data === undefined ? NO_EVENT_FILTER : parseEventFilter(def.account_data, "filter.account_data"),
    room: {
      rooms: stringList(room.rooms, "filter.room.rooms"),
      notRooms: stringList(room.not_rooms, "filter.room.not_rooms"),
      includeLeave: room.include_leave === true,
      timeline,
      timelineLimit: Math.min(timeline.limit ?? DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT),
      state: sub(room.state, "filter.room.state"),
      ephemeral: sub(room.ephemeral, "filter.room.ephemeral"),
      accountData: sub(room.account_data, "filter.room.account_data"),
    },
  };
}

export const DEFAULT_SYNC_FILTER: SyncFilter = compileSyncFilter({});

/** `room.rooms` / `room.not_rooms`. */
export function syncAllowsRoom(filter: SyncFilter, roomId: string): boolean {
  return roomAllowed(filter.room, roomId);
}

/**
 * appendices.md "Dot-separated property paths": `content.m\.relates_to` is ["content",
 * "m.relates_to"], `\\` a literal backslash; any other escape is left as it is.
 */
export function splitFieldPath(path: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    const next = path[i + 1];
    if (c === "\\" && (next === "." || next === "\\")) {
      cur += next;
      i++;
    } else if (c === ".") {
      out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/** Keep only the `event_fields` paths of an event; a path through a non-object is dropped. */
export function projectEventFields(event: JsonObject, paths: readonly (readonly string[])[]): JsonObject {
  const out: JsonObject = {};
  for (const path of paths) {
    let src: JsonValue | undefined = event;
    for (const key of path) {
      src = isJsonObject(src) && Object.hasOwn(src, key) ? src[key] : undefined;
      if (src === undefined) break;
    }
    if (src === undefined) continue;
    let dst = out;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      const child = dst[key];
      dst = isJsonObject(child) ? child : (dst[key] = {});
    }
    dst[path[path.length - 1]!] = src;
  }
  return out;
}

function sub(value: unknown, where: string): RoomEventFilter {
  return value === undefined ? EMPTY_ROOM_EVENT_FILTER : parseRoomEventFilter(value, where);
}

function stringList(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((s) => typeof s === "string")) throw Errors.badJson(`${where} must be an array of strings`);
  return value as string[];
}

