/**
 * Sub-databases of this domain: room aliases, the published room directory, and the
 * timestamp index that `/timestamp_to_event` searches.
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 *
 * Writers: src/directory/alias-store.ts, src/directory/published-rooms.ts and
 * src/federation/events/timestamp-index.ts. None of these is room-scoped state of the DAG, so
 * they are written outside the room actors.
 */
import { db } from "../db-spec.js";

/** [roomId, creator user ID, createdTs] */
export type StoredAlias = [roomId: string, creator: string, createdTs: number];

/** [publishedTs] */
export type StoredPublishedRoom = [publishedTs: number];

export const DIRECTORY_LAYOUT = {
  roomAliases: db<string, StoredAlias>({
    name: "room_aliases",
    encoding: "msgpack",
    readInWrite: true,
    key: "room alias (#local:our.server; only our own server's aliases are stored)",
    value: "StoredAlias tuple",
    writer: "directory alias store (client PUT/DELETE /directory/room/{roomAlias})",
    why: "resolve our aliases (client GET, federation /query/directory); who may delete one",
  }),
  roomAliasesByRoom: db<[string, string], 1>({
    name: "room_aliases_by_room",
    encoding: "msgpack",
    readInWrite: false,
    key: "[roomId, alias]",
    value: "1",
    writer: "directory alias store (with room_aliases)",
    why: "GET /rooms/{roomId}/aliases without scanning every alias",
  }),
  publishedRooms: db<string, StoredPublishedRoom>({
    name: "published_rooms",
    encoding: "msgpack",
    readInWrite: false,
    key: "roomId of a room whose directory visibility is `public`",
    value: "StoredPublishedRoom tuple",
    writer: "directory (PUT /directory/list/room/{roomId}, createRoom visibility)",
    why: "the published room directory (/publicRooms, client and federation)",
  }),
  eventTimestamps: db<[number, number, number], number>({
    name: "event_timestamps",
    encoding: "msgpack",
    readInWrite: false,
    key: "[roomNid, origin_server_ts, global stream position]",
    value: "event nid",
    writer: "timestamp index (catches up from the global `stream` sub-database)",
    why: "/timestamp_to_event: the closest event to a time in one range read",
  }),
  directoryMeta: db<string, number>({
    name: "directory_meta",
    encoding: "msgpack",
    readInWrite: false,
    key: 'string: "ts_index_pos"',
    value: "ts_index_pos: the last global stream position copied into event_timestamps",
    writer: "timestamp index (with event_timestamps, in the same write)",
    why: "the index is rebuilt incrementally and crash-safely from the stream",
  }),
} as const;
