/**
 * The transaction sender (server-server-api.md "Transactions"; transactions.yaml).
 *
 * ```
 *  wake(dest) ──► idle? ──► run(dest): take a global slot (bounded concurrency)
 *                             loop:
 *                               backing off? ──► timer at retryAt, stop
 *                               txn in flight (stored)? else build one: ≤50 PDUs, ≤100 EDUs,
 *                                 items moved out of the queues, txn stored (same write)
 *                               PUT /send/{txnId}
 *                                 200   ──► forget txn, reset backoff, log per-PDU errors, loop
 *                                 fail  ──► failures+1, retry at now + min(max, base·2^(n-1)),
 *                                           same txn next time (even after a restart), stop
 *  running? ──► remember to loop once more; backing off? ──► the timer will run it
 * ```
 *
 * - One transaction in flight per destination, and a new txnId only after a 200 ("The
 *   sending server must wait and retry for a 200 OK response before sending a transaction
 *   with a different txnId").
 * - Per-PDU errors in a 200 answer are the receiver's verdict on those events (rejected,
 *   soft-failed, …); they are logged, never retried.
 * - Outage: after `outageAfterFailures` consecutive failures the destination's PDU backlog is
 *   collapsed into catch-up markers and new PDUs for it become markers too (catch-up.ts), so
 *   a server that was down for a day gets each room's latest events, not a day of traffic.
 * - A transaction the destination keeps refusing as malformed (4xx other than 401, 403, 408,
 *   429) would block the queue forever; after `maxRejections` such answers it is dropped and
 *   logged (its events stay reachable through get_missing_events from later events).
 */
import crypto from "node:crypto";
import type { JsonObject, JsonValue } from "../../events/types.js";
import type { Logger } from "../../log.js";
import type { Storage } from "../../storage/storage.js";
import { backoffDelay } from "../backoff.js";
import { RemoteError } from "../errors.js";
import type { FederationRequestOptions } from "../federation-client.js";
import { Semaphore } from "../semaphore.js";
import { catchUpEvents } from "./catch-up.js";
import type { OutboundStore, OutboundTxn } from "./outbound-store.js";

export interface SenderOptions {
  /** transactions.yaml: at most 50 PDUs and 100 EDUs per transaction. */
  maxPdusPerTxn: number;
  maxEdusPerTxn: number;
  /** First retry delay; doubles per consecutive failure. */
  baseRetryMs: number;
  /** Longest retry delay (`federation.retry_max_ms`). */
  maxRetryMs: number;
  /** Destinations sending at the same time. */
  concurrency: number;
  /** Consecutive failures after which a destination is in an outage (catch-up mode). */
  outageAfterFailures: number;
  /** "Malformed" answers to one transaction before it is dropped. */
  maxRejections: number;
  /** Deadline of one PUT /send. */
  requestTimeoutMs: number;
}

export const DEFAULT_SENDER_OPTIONS: SenderOptions = {
  maxPdusPerTxn: 50,
  maxEdusPerTxn: 100,
  baseRetryMs: 1_000,
  maxRetryMs: 3_600_000,
  concurrency: 32,
  outageAfterFailures: 5,
  maxRejections: 3,
  requestTimeoutMs: 60_000,
};

/** The part of the FederationClient the sender uses. */
export interface TransactionTransport {
  put<T = unknown>(destination: string, pathAndQuery: string, body?: JsonValue, opts?: FederationRequestOptions): Promise<T>;
}

export interface SenderDeps {
  readonly serverName: string;
  readonly storage: Storage;
  readonly store: OutboundStore;
  readonly transport: TransactionTransport;
  readonly log: Logger;
}

interface DestinationState {
  running: boolean;
  /** Woken while running: look for work once more before going idle. */
  again: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Consecutive "malformed" answers to the current transaction. */
  rejections: number;
}

/** Statuses that say the transaction itself is unacceptable, so resending it cannot help. */
function isRejection(err: unknown): err is RemoteError {
  return err instanceof RemoteError && err.status >= 400 && err.status < 500 && ![401, 403, 408, 429].includes(err.status);
}

export class TransactionSender {
  options: SenderOptions;
  private readonly states = new Map<string, DestinationState>();
  private slots: Semaphore;
  private closed = false;
  /** Transactions that got a 200 (metrics, tests). */
  sentCount = 0;

  constructor(
    private readonly deps: SenderDeps,
    options: Partial<SenderOptions> = {},
  ) {
    this.options = { ...DEFAULT_SENDER_OPTIONS, ...options };
    this.slots = new Semaphore(this.options.concurrency);
  }

  /** Change options at runtime (tests shorten the backoff); takes effect on the next attempt. */
  setOptions(options: Partial<SenderOptions>): void {
    this.options = { ...this.options, ...options };
    if (options.concurrency !== undefined) this.slots = new Semaphore(this.options.concurrency);
  }

  /** Start every destination with pending work (server start: restart safety). */
  start(): void {
    for (const destination of this.deps.store.destinationsWithWork()) this.wake(destination);
  }

  /** New work for `destination` was committed. */
  wake(destination: string): void {
    if (this.isClosed() || destination === this.deps.serverName) return;
    const st = this.state(destination);
    if (st.timer !== undefined) return; // backing off: the timer runs it
    if (st.running) {
      st.again = true;
      return;
    }
    void this.run(destination, st);
  }

  /** Retry `destination` now, ignoring its backoff (e.g. it just sent us a request). */
  retryNow(destination: string): void {
    const st = this.state(destination);
    if (st.timer === undefined || this.isClosed()) return;
    clearTimeout(st.timer);
    st.timer = undefined;
    void this.deps.storage.write((w) => {
      const r = this.deps.store.retry(destination);
      if (r) this.deps.store.putRetry(w, destination, { ...r, retryAt: 0 });
    }).then(() => this.wake(destination), () => undefined);
  }

  /** Whether a destination is idle with nothing pending (tests, metrics). */
  isIdle(destination: string): boolean {
    const st = this.states.get(destination);
    return !st?.running && st?.timer === undefined && !this.deps.store.hasWork(destination);
  }

  close(): void {
    this.closed = true;
    for (const st of this.states.values()) {
      if (st.timer) clearTimeout(st.timer);
      st.timer = undefined;
    }
  }

  // ---- the per-destination loop -----------------------------------------------------------

  private async run(destination: string, st: DestinationState): Promise<void> {
    st.running = true;
    st.again = false;
    let release: (() => void) | undefined;
    try {
      release = await this.slots.acquire();
      while (!this.isClosed()) {
        const retry = this.deps.store.retry(destination);
        if (retry && retry.retryAt > Date.now()) {
          this.schedule(destination, st, retry.retryAt);
          break;
        }
        const txn = this.deps.store.txn(destination) ?? (await this.build(destination));
        if (txn === undefined) {
          if (st.again) {
            st.again = false;
            continue;
          }
          break;
        }
        if (!(await this.attempt(destination, st, txn))) break;
      }
    } catch (err) {
      if (!this.isClosed()) {
        this.deps.log.error({ err, destination }, "outbound sender failed; retrying later");
        this.schedule(destination, st, Date.now() + this.options.baseRetryMs);
      }
    } finally {
      release?.();
      st.running = false;
      if (st.again && st.timer === undefined && !this.isClosed()) this.wake(destination);
    }
  }

  private build(destination: string): Promise<OutboundTxn | undefined> {
    const { store, storage, serverName } = this.deps;
    return storage.write((w) =>
      store.takeBatch(w, destination, {
        maxPdus: this.options.maxPdusPerTxn,
        maxEdus: this.options.maxEdusPerTxn,
        txnId: newTxnId(),
        now: Date.now(),
        resolveCatchUp: (roomNid, markerNid) => catchUpEvents(storage, serverName, roomNid, markerNid),
      }),
    );
  }

  /** One attempt; true when the loop may go on with the next transaction. */
  private async attempt(destination: string, st: DestinationState, txn: OutboundTxn): Promise<boolean> {
    const { store, storage, transport, log } = this.deps;
    const path = `/_matrix/federation/v1/send/${encodeURIComponent(txn.txnId)}`;
    try {
      const res = await transport.put<unknown>(destination, path, this.body(txn), { timeoutMs: this.options.requestTimeoutMs });
      this.logPduErrors(destination, txn, res);
      const wasFailing = store.retry(destination) !== undefined;
      await storage.write((w) => {
        store.finishTxn(w, destination);
        store.clearRetry(w, destination);
      });
      st.rejections = 0;
      this.sentCount++;
      if (wasFailing) log.info({ destination, txn_id: txn.txnId }, "destination reachable again");
      return true;
    } catch (err) {
      if (this.isClosed()) return false;
      if (isRejection(err) && ++st.rejections >= this.options.maxRejections) {
        log.error({ destination, txn_id: txn.txnId, status: err.status, errcode: err.errcode, pdus: txn.pduNids.length, edus: txn.edus.length }, "destination keeps refusing the transaction; dropped");
        st.rejections = 0;
        await storage.write((w) => store.finishTxn(w, destination));
        return true;
      }
      const previous = store.retry(destination);
      const failures = (previous?.failures ?? 0) + 1;
      const delay = backoffDelay(failures, this.options.baseRetryMs, this.options.maxRetryMs);
      const retryAt = Date.now() + delay;
      const outage = failures >= this.options.outageAfterFailures;
      await storage.write((w) => {
        store.putRetry(w, destination, { failures, retryAt, outage });
        if (outage && !previous?.outage) {
          const collapsed = store.collapseToCatchUp(w, destination);
          log.warn({ destination, failures, collapsed }, "destination in outage: later events go out as catch-up");
        }
      });
      log.info({ destination, txn_id: txn.txnId, failures, retry_in_ms: delay, err: String(err) }, "transaction failed; will retry");
      this.schedule(destination, st, retryAt);
      return false;
    }
  }

  private body(txn: OutboundTxn): JsonObject {
    const pdus: JsonValue[] = [];
    for (const nid of txn.pduNids) {
      const rec = this.deps.storage.events.getEventByNid(nid);
      if (rec) pdus.push(rec.pdu as unknown as JsonObject);
    }
    const body: JsonObject = { origin: this.deps.serverName, origin_server_ts: txn.originServerTs, pdus };
    if (txn.edus.length > 0) body.edus = txn.edus.map((e) => JSON.parse(e) as JsonValue);
    return body;
  }

  private logPduErrors(destination: string, txn: OutboundTxn, res: unknown): void {
    const pdus = res && typeof res === "object" ? (res as { pdus?: unknown }).pdus : undefined;
    if (!pdus || typeof pdus !== "object") return;
    for (const [eventId, result] of Object.entries(pdus as Record<string, unknown>)) {
      const error = result && typeof result === "object" ? (result as { error?: unknown }).error : undefined;
      if (error !== undefined) this.deps.log.info({ destination, txn_id: txn.txnId, event_id: eventId, error: String(error) }, "destination did not accept a PDU");
    }
  }

  private schedule(destination: string, st: DestinationState, at: number): void {
    if (st.timer !== undefined || this.isClosed()) return;
    st.timer = setTimeout(() => {
      st.timer = undefined;
      this.wake(destination);
    }, Math.max(0, at - Date.now()));
    st.timer.unref();
  }

  private state(destination: string): DestinationState {
    let st = this.states.get(destination);
    if (st === undefined) this.states.set(destination, (st = { running: false, again: false, timer: undefined, rejections: 0 }));
    return st;
  }

  private isClosed(): boolean {
    return this.closed || this.deps.storage.store.isClosed;
  }
}

/** Unique per destination and never reused: time, then randomness (a wiped database restarts no counter). */
export function newTxnId(): string {
  return `${Date.now().toString(36)}${crypto.randomBytes(9).toString("base64url")}`;
}
