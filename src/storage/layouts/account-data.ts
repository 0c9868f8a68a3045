/**
 * Sub-databases of this domain: account data (client-server "Client Config" / account data
 * module): per user, global and per room, one content per event type, on one stream so /sync
 * asks "what changed since my token" with one range scan per user. Room tags (`m.tag`), the
 * fully-read marker (`m.fully_read`) and push rules (`m.push_rules`) are account data too.
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 *
 * Module: src/client/account-data/store.ts (`AccountDataStore`) is the only reader and writer.
 */
import { db } from "../db-spec.js";

/** The room ID stored for global account data (real room IDs start with `!`). */
export const GLOBAL_SCOPE = "";

/**
 * [pos, contentJson]: the stream position of the last change, and the content as JSON text
 * (it came from a client: text keeps a `__proto__` key intact, see layout.ts).
 */
export type StoredAccountData = [pos: number, contentJson: string];

/** [roomId or GLOBAL_SCOPE, type]: which entry changed at that position. */
export type StoredAccountDataChange = [roomId: string, type: string];

export const ACCOUNT_DATA_LAYOUT = {
  accountData: db<[string, string, string], StoredAccountData>({
    name: "account_data",
    encoding: "msgpack",
    readInWrite: true,
    key: '[userId, roomId or "" (global), type] (type ≤ 255 bytes, checked at the API)',
    value: "StoredAccountData tuple",
    writer: "AccountDataStore (PUT account_data, tags, /read_markers, push rules)",
    why: "GET account_data, initial /sync, invite blocking (m.invite_permission_config)",
  }),
  accountDataStream: db<[string, number], StoredAccountDataChange>({
    name: "account_data_stream",
    encoding: "msgpack",
    readInWrite: false,
    key: "[userId, pos]; one row per entry, at its latest position (older rows are removed)",
    value: "StoredAccountDataChange tuple",
    writer: "AccountDataStore (with every change to account_data)",
    why: "incremental /sync: a user's changed entries since a token in one range scan",
  }),
  accountDataMeta: db<"position", number>({
    name: "account_data_meta",
    encoding: "msgpack",
    readInWrite: true,
    key: '"position"',
    value: "the last allocated account-data stream position",
    writer: "AccountDataStore",
    why: "the stream counter survives restarts (sync token component `a`)",
  }),
} as const;
