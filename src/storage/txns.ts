/**
 * Inbound federation transactions already processed (server-server-api.md "Transactions":
 * the transaction ID lets the receiver recognise a retry). The `/send` handler stores the
 * response it gave for (origin, txnId), in the same write as the transaction's effects, and
 * answers a retry with it. Entries are pruned by age.
 */
import type { JsonObject } from "../events/types.js";
import { boundedKeyString } from "./keys.js";
import type { Store } from "./store.js";
import type { WriteBatch } from "./write-batch.js";

export interface StoredTxnResponse {
  readonly response: JsonObject;
  readonly receivedAt: number;
}

export class TxnStore {
  constructor(private readonly store: Store) {}

  get(origin: string, txnId: string): StoredTxnResponse | undefined {
    const s = this.store.dbs.inboundTxns.get([origin, boundedKeyString(txnId)]);
    return s === undefined ? undefined : { receivedAt: s[0], response: JSON.parse(s[1]) as JsonObject };
  }

  put(w: WriteBatch, origin: string, txnId: string, response: JsonObject, receivedAt: number): void {
    const txnKey = boundedKeyString(txnId);
    const previous = this.store.dbs.inboundTxns.get([origin, txnKey]);
    if (previous !== undefined) w.remove("inboundTxnsByAge", [previous[0], origin, txnKey]);
    w.put("inboundTxns", [origin, txnKey], [receivedAt, JSON.stringify(response)]);
    w.put("inboundTxnsByAge", [receivedAt, origin, txnKey], 1);
  }

  /** Removes up to `limit` entries received before `olderThan`; returns how many. */
  prune(w: WriteBatch, olderThan: number, limit = 10_000): number {
    let n = 0;
    for (const key of this.store.dbs.inboundTxnsByAge.getKeys({ end: [olderThan], limit })) {
      w.remove("inboundTxnsByAge", key);
      w.remove("inboundTxns", [key[1], key[2]]);
      n++;
    }
    return n;
  }
}
