/**
 * THE map of the LMDB environment: every sub-database, its key and value encoding, who writes
 * it and why it exists. `Store` opens exactly what is listed here, so adding a sub-database is
 * one entry in `LAYOUT` (it then appears, typed, as `store.dbs.<name>` and in `WriteBatch`).
 *
 * Conventions
 * - Keys use lmdb-js's default ordered-binary encoding, so arrays sort element by element
 *   (numbers before strings, strings by UTF-8 bytes) and range scans over a prefix work
 *   (`prefixRange` in keys.ts). Numbers are doubles: IDs stay exact up to 2^53.
 * - Values are msgpack (lmdb-js default encoding, msgpackr) for our own records, stored as
 *   tuples, not objects, to keep field names out of every row.
 * - JSON that came from elsewhere (PDUs, key responses, transaction responses) is stored as
 *   JSON *text* inside the msgpack value, never as a msgpack map: msgpackr renames a
 *   `__proto__` key (to `__proto_`), which would silently change a signed event. Text is also
 *   what the federation read paths splice into responses without re-serialising.
 * - `nid`s are this server's interned numeric IDs (event nid, room nid). They never leave the
 *   server and are never reused.
 * - `readInWrite`: a write function may read this sub-database through its `WriteBatch` and
 *   see its own uncommitted writes and those of earlier writes not yet committed (the store
 *   keeps a pending overlay for these, see store.ts). Other sub-databases are write-only inside
 *   a write; their readers only ever see committed data.
 *
 * Writers: the room actor (through `persistEvents` in persist-events.ts) is the only writer of
 * everything room-scoped; one actor per room, so writes to one room never interleave. Readers
 * (`/event`, `/state_ids`, `/messages`, `/sync`, backfill, get_missing_events) read committed
 * snapshots directly and never wait on an actor.
 */
import type { Key } from "lmdb";

export type { DbSpec } from "./db-spec.js";
import { db, type DbSpec } from "./db-spec.js";
import { ACCOUNTS_LAYOUT } from "./layouts/accounts.js";
import { DIRECTORY_LAYOUT } from "./layouts/directory.js";
import { EPHEMERAL_LAYOUT } from "./layouts/ephemeral.js";
import { MEMBERSHIP_LAYOUT } from "./layouts/membership.js";
import { OUTBOUND_LAYOUT } from "./layouts/outbound.js";
import { CLIENT_LAYOUT } from "./layouts/client.js";
import { SYNC_LAYOUT } from "./layouts/sync.js";
import { ACCOUNT_DATA_LAYOUT } from "./layouts/account-data.js";

// ---- stored value shapes (tuples; see the value docs below) -------------------------------

/** Event status codes as stored (events.ts maps them to names). */
export type EventStatusCode = 0 | 1 | 2 | 3;

/**
 * [eventId, roomNid, authOrder, depth, status, stateBefore, stateAfter, streamOrdering,
 *  rejectReason, redactedBy] — the PDU itself lives in `event_json`, so the record the rules
 * read all the time (status, state roots, auth order) decodes without the event's bytes.
 */
export type StoredEvent = [
  eventId: string,
  roomNid: number,
  authOrder: number,
  depth: number,
  status: EventStatusCode,
  stateBefore: string | null,
  stateAfter: string | null,
  streamOrdering: number | null,
  rejectReason: string | null,
  redactedBy: number | null,
];

/** [roomId, version, createEventId, createdTs, isLocal] */
export type StoredRoom = [
  roomId: string,
  version: string,
  createEventId: string | null,
  createdTs: number,
  isLocal: boolean,
];

/** [forward extremity nids, current state root] */
export type StoredHeads = [extremities: number[], stateRoot: string];

/** [membership, member event nid] */
export type StoredMembership = [membership: string, nid: number];

/** [stateKey, old nid or null, new nid or null] per changed slot */
export type StoredStateDelta = [roomNid: number, changes: [string, number | null, number | null][]];

/** [publicKey (unpadded base64), validUntilTs, expiredTs, fetchedAt, responseJson] */
export type StoredServerKey = [
  publicKey: string,
  validUntilTs: number | null,
  expiredTs: number | null,
  fetchedAt: number,
  responseJson: string,
];

/** [receivedAt, responseJson] */
export type StoredTxn = [receivedAt: number, responseJson: string];

/** Allocation counters, persisted with every write that allocates (see store.ts). */
export interface StoredCounters {
  eventNid: number;
  roomNid: number;
  stream: number;
  backfill: number;
  authOrder: number;
}

// ---- the layout --------------------------------------------------------------------------

/** The rooms engine and federation core (this file); domains add theirs in layouts/. */
const CORE_LAYOUT = {
  meta: db<string, unknown>({
    name: "meta",
    encoding: "msgpack",
    readInWrite: false,
    key: 'string: "counters" | "layout_version" | "state_hash_key"',
    value: "counters: StoredCounters; layout_version: number; state_hash_key: Buffer(16)",
    writer: "Store (counters, with every write that allocates; the rest once at creation)",
    why: "next nids / stream positions survive restarts; the secret key of the state-map hash",
  }),

  // -- events ---------------------------------------------------------------------------
  eventNids: db<string, number>({
    name: "event_nids",
    encoding: "msgpack",
    readInWrite: true,
    key: "eventId",
    value: "event nid",
    writer: "room actor (intern: new events and event IDs they reference)",
    why: "intern event IDs; an interned ID may have no event record yet (a missing prev event)",
  }),
  eventIds: db<number, string>({
    name: "event_ids",
    encoding: "msgpack",
    readInWrite: true,
    key: "event nid",
    value: "eventId",
    writer: "room actor (with event_nids)",
    why: "nid → ID without decoding the event (/state_ids maps thousands of nids)",
  }),
  events: db<number, StoredEvent>({
    name: "events",
    encoding: "msgpack",
    readInWrite: true,
    key: "event nid",
    value: "StoredEvent tuple (no PDU: see event_json)",
    writer: "room actor (persistEvents, markRedacted)",
    why: "the event's status, place and the state roots before/after it, cheap to decode",
  }),
  eventJson: db<number, Buffer>({
    name: "event_json",
    encoding: "binary",
    readInWrite: true,
    key: "event nid",
    value: "the PDU as UTF-8 JSON bytes: the federation form as received, or its redacted copy",
    writer: "room actor (persistEvents, markRedacted)",
    why: "served verbatim over federation; parsed only when a rule needs the content",
  }),
  eventEdges: db<[number, number], 1>({
    name: "event_edges",
    encoding: "msgpack",
    readInWrite: false,
    key: "[prevNid, childNid] for every prev_event of every non-outlier event",
    value: "1",
    writer: "room actor (persistEvents)",
    why: "events that reference X: extremity bookkeeping, get_missing_events, soft-failure rules",
  }),
  redactions: db<[number, number], 1>({
    name: "redactions",
    encoding: "msgpack",
    readInWrite: false,
    key: "[targetNid, redactionNid] for every non-rejected m.room.redaction",
    value: "1",
    writer: "room actor (persistEvents)",
    why: "find redactions of an event, including ones that arrived before their target",
  }),

  // -- rooms ----------------------------------------------------------------------------
  roomNids: db<string, number>({
    name: "room_nids",
    encoding: "msgpack",
    readInWrite: true,
    key: "roomId",
    value: "room nid",
    writer: "room actor / room registry (putRoom)",
    why: "intern room IDs",
  }),
  rooms: db<number, StoredRoom>({
    name: "rooms",
    encoding: "msgpack",
    readInWrite: true,
    key: "room nid",
    value: "StoredRoom tuple",
    writer: "room actor / room registry (putRoom)",
    why: "room version and identity",
  }),
  roomHeads: db<number, StoredHeads>({
    name: "room_heads",
    encoding: "msgpack",
    readInWrite: true,
    key: "room nid",
    value: "StoredHeads tuple: forward extremities, current state root",
    writer: "room actor (persistEvents)",
    why: "what the next local event builds on; the resolved current state",
  }),
  roomState: db<[number, string, string], number>({
    name: "room_state",
    encoding: "msgpack",
    readInWrite: false,
    key: "[roomNid, type, stateKey] (each ≤255 bytes by the spec's size limits)",
    value: "event nid",
    writer: "room actor (persistEvents, from the current-state changes)",
    why: "flat current state: one get per slot, range per type, no tree walk on the read path",
  }),
  roomMembers: db<[number, string], StoredMembership>({
    name: "room_members",
    encoding: "msgpack",
    readInWrite: true,
    key: "[roomNid, userId]",
    value: "StoredMembership tuple (current state only)",
    writer: "room actor (persistEvents, derived from current-state member changes)",
    why: "member lists; the previous membership when counting joined servers",
  }),
  userRooms: db<[string, number], StoredMembership>({
    name: "user_rooms",
    encoding: "msgpack",
    readInWrite: false,
    key: "[userId, roomNid]",
    value: "StoredMembership tuple (current state only)",
    writer: "room actor (with room_members)",
    why: "a user's rooms (/sync, /joined_rooms)",
  }),
  roomHosts: db<[number, string], number>({
    name: "room_hosts",
    encoding: "msgpack",
    readInWrite: true,
    key: "[roomNid, serverName]",
    value: "number of that server's users whose current membership is join (> 0)",
    writer: "room actor (with room_members)",
    why: "where to send new events (outbound fan-out) without scanning members",
  }),
  roomStream: db<[number, number], number>({
    name: "room_stream",
    encoding: "msgpack",
    readInWrite: false,
    key: "[roomNid, streamOrdering]; backfilled events have negative orderings",
    value: "event nid",
    writer: "room actor (persistEvents; accepted non-outliers only)",
    why: "/messages in arrival order",
  }),
  roomTopo: db<[number, number, number], number>({
    name: "room_topo",
    encoding: "msgpack",
    readInWrite: false,
    key: "[roomNid, depth, streamOrdering]",
    value: "event nid",
    writer: "room actor (persistEvents; accepted non-outliers only)",
    why: "topological order for /messages pagination and backfill",
  }),
  stream: db<number, [number, number]>({
    name: "stream",
    encoding: "msgpack",
    readInWrite: false,
    key: "global stream position (> 0, monotonically increasing in commit order)",
    value: "[roomNid, event nid]",
    writer: "room actor (persistEvents; accepted, non-outlier, non-backfilled events)",
    why: "/sync: everything new since a token, across rooms, in one range scan",
  }),
  stateDeltas: db<number, StoredStateDelta>({
    name: "state_deltas",
    encoding: "msgpack",
    readInWrite: false,
    key: "global stream position (same counter as `stream`)",
    value: "StoredStateDelta: the room and its changed current-state slots",
    writer: "room actor (persistEvents, when the current state changes)",
    why: "/sync: current-state changes that no timeline event carries (state resolution)",
  }),
  stateNodes: db<string, Buffer>({
    name: "state_nodes",
    encoding: "binary",
    readInWrite: true,
    key: "NodeId: base64url of the 16-byte BLAKE2b of the node bytes",
    value: "state-map node bytes (state-node.ts); immutable, content-addressed, shared",
    writer: "room actor (state-map applyChanges); never rewritten with other bytes",
    why: "state at every event with structural sharing: O(depth) nodes per state change",
  }),

  // -- federation -----------------------------------------------------------------------
  serverKeys: db<[string, string], StoredServerKey>({
    name: "server_keys",
    encoding: "msgpack",
    readInWrite: false,
    key: "[serverName, keyId]",
    value: "StoredServerKey tuple; responseJson is the whole signed /key/v2 response",
    writer: "key fetcher (outbound)",
    why: "verify remote signatures without refetching; serve as a notary",
  }),
  inboundTxns: db<[string, string], StoredTxn>({
    name: "inbound_txns",
    encoding: "msgpack",
    readInWrite: false,
    key: "[origin, txnKey] (txnKey = txnId, or a SHA-256 of it when very long)",
    value: "StoredTxn tuple",
    writer: "federation /send handler",
    why: "a retried transaction gets the same response (server-server-api.md Transactions)",
  }),
  inboundTxnsByAge: db<[number, string, string], 1>({
    name: "inbound_txns_by_age",
    encoding: "msgpack",
    readInWrite: false,
    key: "[receivedAt, origin, txnKey]",
    value: "1",
    writer: "federation /send handler (with inbound_txns)",
    why: "prune old transaction responses without a full scan",
  }),
} as const;

/**
 * Every sub-database. Each domain keeps its entries in its own file under layouts/ (same
 * conventions as above); names must be unique across all of them.
 */
export const LAYOUT = {
  ...CORE_LAYOUT,
  ...ACCOUNTS_LAYOUT,
  ...DIRECTORY_LAYOUT,
  ...EPHEMERAL_LAYOUT,
  ...MEMBERSHIP_LAYOUT,
  ...OUTBOUND_LAYOUT,
  ...CLIENT_LAYOUT,
  ...SYNC_LAYOUT,
  ...ACCOUNT_DATA_LAYOUT,
} as const;

export type Layout = typeof LAYOUT;
export type DbName = keyof Layout;
export type KeyOf<N extends DbName> = Layout[N] extends DbSpec<infer K, unknown> ? K : never;
export type ValueOf<N extends DbName> = Layout[N] extends DbSpec<Key, infer V> ? V : never;

/** Bumped when an on-disk format changes incompatibly; checked at open. */
export const LAYOUT_VERSION = 3;
