/**
 * Sub-databases of this domain: outbound federation: durable per-destination queues of PDUs and
 * EDUs, the transaction in flight per destination, catch-up markers and retry state.
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 *
 * Module: src/outbound/queue/outbound-store.ts (`OutboundStore`) is the only reader and writer.
 *
 * ```
 *  room write (onPersisted) ──► outbound_pdus [dest, seq] ─┐
 *  queueEdu()               ──► outbound_edus [dest, seq] ─┼─► sender: one outbound_txns[dest]
 *  over the cap / outage    ──► outbound_catch_up          ─┘   at a time (items moved into
 *                                                               it), PUT /send/{txnId}, removed
 *                                                               on 200
 * ```
 */
import { db } from "../db-spec.js";

/** [roomNid, eventNid] */
export type StoredOutboundPdu = [roomNid: number, eventNid: number];

/**
 * The transaction in flight to one destination. Building it MOVES its items out of the queues
 * (same write), and it is persisted before the first attempt, so every retry (even after a
 * restart) sends the same txnId with the same content (transactions.yaml: "must wait and
 * retry for a 200 OK before sending a transaction with a different txnId").
 * [txnId, originServerTs, pduNids, edus (JSON texts)]
 */
export type StoredOutboundTxn = [txnId: string, originServerTs: number, pduNids: number[], edus: string[]];

/** [consecutive failures, retry not before (ms), in outage (new PDUs become catch-up markers)] */
export type StoredOutboundRetry = [failures: number, retryAt: number, outage: boolean];

export const OUTBOUND_LAYOUT = {
  outboundPdus: db<[string, number], StoredOutboundPdu>({
    name: "outbound_pdus",
    encoding: "msgpack",
    readInWrite: false,
    key: "[destination, seq] (seq from outbound_meta, increasing in commit order)",
    value: "StoredOutboundPdu tuple",
    writer: "OutboundStore (inside the room write that stores the event, via rooms.onPersisted)",
    why: "PDUs still to send to a destination, in order; nothing a client was told about is lost",
  }),
  outboundEdus: db<[string, number], string>({
    name: "outbound_edus",
    encoding: "msgpack",
    readInWrite: false,
    key: "[destination, seq]",
    value: "the EDU ({edu_type, content}) as JSON text",
    writer: "OutboundStore (queueEdu; oldest dropped beyond the per-destination cap)",
    why: "EDUs still to send to a destination, in order",
  }),
  outboundCatchUp: db<[string, number], number>({
    name: "outbound_catch_up",
    encoding: "msgpack",
    readInWrite: true,
    key: "[destination, roomNid]",
    value: "nid of the newest event of the room the destination did not get from the queue",
    writer: "OutboundStore (PDU cap exceeded, destination in outage; moved into a transaction)",
    why: "catch-up: send the room's latest events, the peer pulls the rest (get_missing_events)",
  }),
  outboundTxns: db<string, StoredOutboundTxn>({
    name: "outbound_txns",
    encoding: "msgpack",
    readInWrite: false,
    key: "destination",
    value: "StoredOutboundTxn tuple",
    writer: "OutboundStore (sender: built and stored before the first attempt; removed on 200)",
    why: "one transaction in flight per destination, same txnId on every retry",
  }),
  outboundRetry: db<string, StoredOutboundRetry>({
    name: "outbound_retry",
    encoding: "msgpack",
    readInWrite: false,
    key: "destination",
    value: "StoredOutboundRetry tuple; absent when the last attempt succeeded",
    writer: "OutboundStore (sender)",
    why: "backoff survives restarts; outage state decides queue vs catch-up",
  }),
  outboundMeta: db<string, number>({
    name: "outbound_meta",
    encoding: "msgpack",
    readInWrite: false,
    key: '"seq"',
    value: "the next queue sequence number",
    writer: "OutboundStore (with every write that allocates)",
    why: "queue order survives restarts",
  }),
} as const;
