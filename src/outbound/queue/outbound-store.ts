/**
 * The durable outbound queues (layout: src/storage/layouts/outbound.ts): per destination, PDUs
 * by event nid in commit order, EDUs as JSON text, catch-up markers per room, the one
 * transaction in flight, and the retry state.
 *
 * Caps (soft: counted in memory, so a few writes racing in one event turn may overshoot):
 * - PDUs: beyond `maxPendingPdus` queued for a destination, a new PDU is not queued; its room
 *   gets a catch-up marker instead, and the destination later receives the room's latest
 *   events and pulls the gap with get_missing_events (server-server-api.md "Backfilling and
 *   retrieving missing events"). The same happens to every PDU while the destination is in an
 *   outage (see sender.ts), as Synapse does.
 * - EDUs: beyond `maxPendingEdus`, the oldest queued EDUs are dropped: they are ephemeral
 *   (typing, receipts, presence) or superseded by later state (device list updates carry
 *   `prev_id`s, so a receiver that sees a gap resyncs).
 */
import { prefixRange } from "../../storage/keys.js";
import type { StoredOutboundRetry, StoredOutboundTxn } from "../../storage/layouts/outbound.js";
import type { Store } from "../../storage/store.js";
import type { WriteBatch } from "../../storage/write-batch.js";

export interface OutboundLimits {
  /** Queued PDUs per destination before new ones become catch-up markers. */
  maxPendingPdus: number;
  /** Queued EDUs per destination before the oldest are dropped. */
  maxPendingEdus: number;
}

export const DEFAULT_LIMITS: OutboundLimits = { maxPendingPdus: 10_000, maxPendingEdus: 2_000 };

export interface OutboundTxn {
  readonly txnId: string;
  readonly originServerTs: number;
  readonly pduNids: readonly number[];
  /** EDUs as JSON text, exactly as they will be sent. */
  readonly edus: readonly string[];
}

export interface RetryState {
  readonly failures: number;
  readonly retryAt: number;
  readonly outage: boolean;
}

/** What goes into the next transaction; `resolveCatchUp` turns a marker into event nids. */
export interface BatchSpec {
  readonly maxPdus: number;
  readonly maxEdus: number;
  readonly txnId: string;
  readonly now: number;
  readonly resolveCatchUp: (roomNid: number, markerNid: number) => readonly number[];
}

interface Counts {
  pdus: number;
  edus: number;
}

export class OutboundStore {
  limits: OutboundLimits;
  private seq: number;
  private readonly counts = new Map<string, Counts>();
  private readonly outages = new Set<string>();

  constructor(
    private readonly store: Store,
    limits: Partial<OutboundLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.seq = store.dbs.outboundMeta.get("seq") ?? 1;
    for (const { key, value } of store.dbs.outboundRetry.getRange()) if (value[2]) this.outages.add(key);
  }

  // ---- enqueue (inside other writes) ------------------------------------------------------

  /**
   * Queue one PDU for `destination`, inside the write that stores the event. Returns whether
   * it was queued or became a catch-up marker (cap reached, or destination in an outage).
   */
  enqueuePdu(w: WriteBatch, destination: string, roomNid: number, nid: number): "queued" | "catch_up" {
    const c = this.countsOf(destination);
    if (this.outages.has(destination) || c.pdus >= this.limits.maxPendingPdus) {
      w.put("outboundCatchUp", [destination, roomNid], nid);
      return "catch_up";
    }
    w.put("outboundPdus", [destination, this.allocate(w)], [roomNid, nid]);
    c.pdus++;
    return "queued";
  }

  /** Queue one EDU (JSON text) for each destination, dropping the oldest beyond the cap. */
  enqueueEdu(w: WriteBatch, destinations: Iterable<string>, eduJson: string): void {
    for (const destination of destinations) {
      const c = this.countsOf(destination);
      const excess = c.edus + 1 - this.limits.maxPendingEdus;
      if (excess > 0) {
        for (const key of this.store.dbs.outboundEdus.getKeys({ ...prefixRange([destination]), limit: excess })) {
          w.remove("outboundEdus", key);
          c.edus--;
        }
      }
      w.put("outboundEdus", [destination, this.allocate(w)], eduJson);
      c.edus++;
    }
  }

  // ---- the transaction in flight ----------------------------------------------------------

  txn(destination: string): OutboundTxn | undefined {
    const s = this.store.dbs.outboundTxns.get(destination);
    return s === undefined ? undefined : { txnId: s[0], originServerTs: s[1], pduNids: s[2], edus: s[3] };
  }

  /**
   * Build the next transaction for `destination` and store it, moving its items out of the
   * queues in the same write: queued PDUs first (oldest first), then catch-up PDUs to fill
   * up, then EDUs. Undefined (and nothing written) when there is nothing to send.
   */
  takeBatch(w: WriteBatch, destination: string, spec: BatchSpec): OutboundTxn | undefined {
    if (this.store.dbs.outboundTxns.doesExist(destination)) throw new Error(`outbound: ${destination} already has a transaction in flight`);
    const c = this.countsOf(destination);
    const pduNids: number[] = [];
    const seen = new Set<number>();
    const add = (nid: number): void => {
      if (pduNids.length < spec.maxPdus && !seen.has(nid)) {
        seen.add(nid);
        pduNids.push(nid);
      }
    };
    for (const { key, value } of this.store.dbs.outboundPdus.getRange({ ...prefixRange([destination]), limit: spec.maxPdus })) {
      w.remove("outboundPdus", key);
      c.pdus = Math.max(0, c.pdus - 1);
      add(value[1]);
    }
    if (pduNids.length < spec.maxPdus) {
      for (const key of this.store.dbs.outboundCatchUp.getKeys(prefixRange([destination]))) {
        // The freshest marker value, including writes queued but not yet committed.
        const marker = w.read("outboundCatchUp", key);
        if (marker === undefined) continue;
        const nids = spec.resolveCatchUp(key[1], marker);
        if (pduNids.length + nids.length > spec.maxPdus && pduNids.length > 0) break;
        w.remove("outboundCatchUp", key);
        for (const nid of nids) add(nid);
      }
    }
    const edus: string[] = [];
    for (const { key, value } of this.store.dbs.outboundEdus.getRange({ ...prefixRange([destination]), limit: spec.maxEdus })) {
      w.remove("outboundEdus", key);
      c.edus = Math.max(0, c.edus - 1);
      edus.push(value);
    }
    if (pduNids.length === 0 && edus.length === 0) return undefined;
    const txn: OutboundTxn = { txnId: spec.txnId, originServerTs: spec.now, pduNids, edus };
    const stored: StoredOutboundTxn = [txn.txnId, txn.originServerTs, pduNids, edus];
    w.put("outboundTxns", destination, stored);
    return txn;
  }

  /** The destination answered 200 (or the transaction is abandoned): forget it. */
  finishTxn(w: WriteBatch, destination: string): void {
    w.remove("outboundTxns", destination);
  }

  // ---- catch-up ---------------------------------------------------------------------------

  /**
   * Replace the destination's PDU backlog by one catch-up marker per room (the newest queued
   * event of each room): the destination will get each room's latest events instead of the
   * whole backlog.
   */
  collapseToCatchUp(w: WriteBatch, destination: string): number {
    const newest = new Map<number, number>();
    let n = 0;
    for (const { key, value } of this.store.dbs.outboundPdus.getRange(prefixRange([destination]))) {
      w.remove("outboundPdus", key);
      newest.set(value[0], value[1]);
      n++;
    }
    for (const [roomNid, nid] of newest) {
      // A marker written meanwhile names a newer event than anything in the queue.
      if (w.read("outboundCatchUp", [destination, roomNid]) === undefined) w.put("outboundCatchUp", [destination, roomNid], nid);
    }
    this.countsOf(destination).pdus = 0;
    return n;
  }

  // ---- retry state ------------------------------------------------------------------------

  retry(destination: string): RetryState | undefined {
    const s = this.store.dbs.outboundRetry.get(destination);
    return s === undefined ? undefined : { failures: s[0], retryAt: s[1], outage: s[2] };
  }

  putRetry(w: WriteBatch, destination: string, state: RetryState): void {
    const stored: StoredOutboundRetry = [state.failures, state.retryAt, state.outage];
    w.put("outboundRetry", destination, stored);
    if (state.outage) this.outages.add(destination);
    else this.outages.delete(destination);
  }

  clearRetry(w: WriteBatch, destination: string): void {
    if (this.store.dbs.outboundRetry.doesExist(destination)) w.remove("outboundRetry", destination);
    this.outages.delete(destination);
  }

  inOutage(destination: string): boolean {
    return this.outages.has(destination);
  }

  // ---- inspection -------------------------------------------------------------------------

  /** Every destination with anything queued, a transaction in flight, or catch-up to do. */
  destinationsWithWork(): string[] {
    const out = new Set<string>(this.store.dbs.outboundTxns.getKeys());
    for (const name of ["outboundPdus", "outboundEdus", "outboundCatchUp"] as const) {
      for (const d of distinctDestinations(this.store, name)) out.add(d);
    }
    return [...out];
  }

  hasWork(destination: string): boolean {
    const range = prefixRange([destination]);
    return (
      this.store.dbs.outboundTxns.doesExist(destination) ||
      this.store.dbs.outboundPdus.getKeysCount({ ...range, limit: 1 }) > 0 ||
      this.store.dbs.outboundEdus.getKeysCount({ ...range, limit: 1 }) > 0 ||
      this.store.dbs.outboundCatchUp.getKeysCount({ ...range, limit: 1 }) > 0
    );
  }

  /** Committed counts for one destination (metrics, tests). */
  pending(destination: string): { pdus: number; edus: number; catchUpRooms: number; inFlight: boolean } {
    const range = prefixRange([destination]);
    return {
      pdus: this.store.dbs.outboundPdus.getKeysCount(range),
      edus: this.store.dbs.outboundEdus.getKeysCount(range),
      catchUpRooms: this.store.dbs.outboundCatchUp.getKeysCount(range),
      inFlight: this.store.dbs.outboundTxns.doesExist(destination),
    };
  }

  // ---- internals --------------------------------------------------------------------------

  private allocate(w: WriteBatch): number {
    const seq = this.seq++;
    // Every allocating write stores the counter; writes commit in call order, so the last
    // value written is the highest.
    w.put("outboundMeta", "seq", this.seq);
    return seq;
  }

  private countsOf(destination: string): Counts {
    let c = this.counts.get(destination);
    if (c === undefined) {
      const range = prefixRange([destination]);
      c = { pdus: this.store.dbs.outboundPdus.getKeysCount(range), edus: this.store.dbs.outboundEdus.getKeysCount(range) };
      this.counts.set(destination, c);
    }
    return c;
  }
}

/** The distinct first key elements of a `[destination, …]` sub-database, skipping ahead. */
function distinctDestinations(store: Store, name: "outboundPdus" | "outboundEdus" | "outboundCatchUp"): string[] {
  const db = store.dbs[name];
  const out: string[] = [];
  let start: unknown[] | undefined;
  for (;;) {
    let next: string | undefined;
    for (const key of db.getKeys({ ...(start ? { start: start as never } : {}), limit: 1 })) next = key[0];
    if (next === undefined) return out;
    out.push(next);
    start = prefixRange([next]).end;
  }
}
