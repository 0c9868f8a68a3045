/**
 * Client transaction IDs (client-server-api "Transaction identifiers"): a retransmitted
 * `PUT /rooms/{roomId}/send/{eventType}/{txnId}` or `PUT /rooms/{roomId}/redact/{eventId}/{txnId}`
 * gets the original `event_id` back instead of creating a second event.
 *
 * - Scope: "a single device, and a single HTTP endpoint"; the request is a retransmission when
 *   "the transaction ID is the same as a previous request, and the path of the HTTP request is
 *   the same". The key is therefore (user, device, hash of endpoint + path parameters + txnId).
 * - Durable and atomic: the mapping is written in the SAME LMDB write as the event (an
 *   `onPersisted` hook, while the room's actor runs the send), so a crash can never leave an
 *   event without its mapping and a retry after a restart still finds it.
 * - Concurrent duplicates (a client retrying before the first answer) share one in-flight
 *   promise; the committed mapping is checked again inside the actor job.
 * - `unsigned.transaction_id` is served to the sending device (client_event.yaml), from the
 *   event → request index.
 *
 * Mappings expire after `TXN_TTL_MS` (pruned at most once per `PRUNE_EVERY_MS`, a bounded batch
 * at a time): long after any client could still be retrying.
 */
import crypto from "node:crypto";
import type { App } from "../../app.js";
import { logger } from "../../log.js";
import type { LocalEventResult } from "../../rooms/room-actor.js";
import type { StoredClientTxn } from "../../storage/layouts/client.js";

const log = logger("client.txns");

export const TXN_TTL_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
const PRUNE_BATCH = 1000;

/** What identifies one request: who sent it, on which endpoint and path, with which txnId. */
export interface TxnScope {
  readonly userId: string;
  readonly deviceId: string;
  /** e.g. "send" or "redact". */
  readonly endpoint: string;
  /** The path parameters other than the txnId, in order (room ID, event type / event ID). */
  readonly pathParams: readonly string[];
  readonly txnId: string;
}

interface ActiveTxn {
  readonly scope: TxnScope;
  readonly key: [string, string, string];
  readonly roomId: string;
  written: boolean;
}

export class ClientTxns {
  private readonly inflight = new Map<string, Promise<string>>();
  /** The txn whose event the room's actor is persisting right now, by room ID. */
  private readonly active = new Map<string, ActiveTxn>();
  private lastPrune = 0;

  constructor(private readonly app: App) {
    app.rooms.onPersisted((w, ctx, info, origin) => {
      const t = this.active.get(ctx.roomId);
      if (!t || t.written || origin !== undefined) return;
      if (info.status !== "accepted" || info.event.sender !== t.scope.userId) return;
      const now = Date.now();
      const eventId = info.event.eventId;
      w.put("clientTxns", t.key, [eventId, t.roomId, now]);
      w.put("clientTxnEvents", eventId, [t.scope.userId, t.scope.deviceId, t.scope.txnId]);
      w.put("clientTxnsByAge", [now, t.key[0], t.key[1], t.key[2]], eventId);
      t.written = true;
    });
  }

  /** The event a completed request with this scope created, if any. */
  lookup(scope: TxnScope): string | undefined {
    return this.app.storage.store.dbs.clientTxns.get(keyOf(scope))?.[0];
  }

  /**
   * Run `send` once per scope. `send` runs inside the room's actor job and must use the
   * actor's `*Now` methods (it is already exclusive). Returns the event ID, new or original.
   */
  run(scope: TxnScope, roomId: string, send: () => Promise<LocalEventResult>): Promise<string> {
    const done = this.lookup(scope);
    if (done !== undefined) return Promise.resolve(done);
    const key = keyOf(scope);
    const flightKey = key.join("\u0000");
    const pending = this.inflight.get(flightKey);
    if (pending) return pending;

    const actor = this.app.rooms.actor(roomId);
    const p = actor
      .exclusive(async () => {
        const raced = this.lookup(scope);
        if (raced !== undefined) return raced;
        const t: ActiveTxn = { scope, key, roomId, written: false };
        this.active.set(roomId, t);
        try {
          const result = await send();
          return result.eventId;
        } finally {
          this.active.delete(roomId);
        }
      })
      .finally(() => {
        this.inflight.delete(flightKey);
        this.maybePrune();
      });
    this.inflight.set(flightKey, p);
    return p;
  }

  /** `unsigned.transaction_id` of `eventId` for the viewing device, if that device sent it. */
  transactionIdFor(eventId: string, userId: string, deviceId: string | undefined): string | undefined {
    if (deviceId === undefined) return undefined;
    const s = this.app.storage.store.dbs.clientTxnEvents.get(eventId);
    return s !== undefined && s[0] === userId && s[1] === deviceId ? s[2] : undefined;
  }

  /** Remove mappings older than the TTL (bounded; runs at most hourly). */
  async prune(now = Date.now()): Promise<number> {
    this.lastPrune = now;
    const dbs = this.app.storage.store.dbs;
    const expired: { key: [number, string, string, string]; eventId: string }[] = [];
    for (const { key, value } of dbs.clientTxnsByAge.getRange({ start: [0], end: [now - TXN_TTL_MS], limit: PRUNE_BATCH })) {
      expired.push({ key, eventId: value });
    }
    if (expired.length === 0) return 0;
    await this.app.storage.write((w) => {
      for (const { key, eventId } of expired) {
        w.remove("clientTxnsByAge", key);
        w.remove("clientTxns", [key[1], key[2], key[3]]);
        w.remove("clientTxnEvents", eventId);
      }
    });
    return expired.length;
  }

  private maybePrune(): void {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.prune(now).catch((err: unknown) => log.warn({ err }, "pruning client transaction IDs failed"));
  }
}

function keyOf(scope: TxnScope): [string, string, string] {
  const h = crypto.createHash("sha256");
  for (const part of [scope.endpoint, ...scope.pathParams, scope.txnId]) {
    h.update(part);
    h.update("\u0000");
  }
  return [scope.userId, scope.deviceId, h.digest("base64url")];
}

const instances = new WeakMap<App, ClientTxns>();

/** The server's one `ClientTxns` (its persist hook must be installed exactly once). */
export function clientTxnsOf(app: App): ClientTxns {
  let t = instances.get(app);
  if (!t) instances.set(app, (t = new ClientTxns(app)));
  return t;
}

export type { StoredClientTxn };
