/**
 * Sub-databases of this domain: client-server API state of the room endpoints: client
 * transaction IDs (idempotent `PUT …/send/{eventType}/{txnId}` and `PUT …/redact/{eventId}/{txnId}`)
 * and forgotten rooms (`POST /rooms/{roomId}/forget`).
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 *
 * Modules: src/client/rooms/transactions.ts (`clientTxnsOf`) and src/client/rooms/forgotten.ts
 * (`ForgottenRooms`) are the only readers and writers.
 */
import { db } from "../db-spec.js";

/**
 * [eventId, roomId, createdTs]: what a retransmission of the request gets back (client-server
 * "Transaction identifiers": "the same HTTP response code and content as the original").
 */
export type StoredClientTxn = [eventId: string, roomId: string, createdTs: number];

/** [userId, deviceId, txnId]: the request that created an event (`unsigned.transaction_id`). */
export type StoredTxnOfEvent = [userId: string, deviceId: string, txnId: string];

export const CLIENT_LAYOUT = {
  clientTxns: db<[string, string, string], StoredClientTxn>({
    name: "client_txns",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, deviceId, scope]; scope = base64url SHA-256 of endpoint, path parameters and txnId",
    value: "StoredClientTxn tuple",
    writer: "client txns (in the same write as the event the request created)",
    why: "a retransmitted send/redact returns the original event_id, across restarts",
  }),
  clientTxnEvents: db<string, StoredTxnOfEvent>({
    name: "client_txn_events",
    encoding: "msgpack",
    readInWrite: false,
    key: "eventId of an event a client sent with a transaction ID",
    value: "StoredTxnOfEvent tuple",
    writer: "client txns (with client_txns)",
    why: "unsigned.transaction_id for the sending device (client_event.yaml)",
  }),
  clientTxnsByAge: db<[number, string, string, string], string>({
    name: "client_txns_by_age",
    encoding: "msgpack",
    readInWrite: false,
    key: "[createdTs, userId, deviceId, scope]",
    value: "eventId",
    writer: "client txns (with client_txns; pruned entries removed from all three)",
    why: "expire old transaction IDs without a full scan",
  }),
  forgottenRooms: db<[string, string], number>({
    name: "forgotten_rooms",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, roomId] (userId local)",
    value: "forgottenTs",
    writer: "POST /forget; removed when the user joins, is invited or knocks again",
    why: "forgotten rooms never appear in /sync and their history is no longer served",
  }),
} as const;
