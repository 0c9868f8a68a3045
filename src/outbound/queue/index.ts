/**
 * Outbound federation queues, wired into a running server.
 *
 * ```
 *  room actor write ── rooms.onPersisted ──► fan-out: destinations of the event ──► PDU queues
 *  (local events, accepted handshakes)            (same write: durable with the event)
 *  EDU producers ───── queueEdu(app, dests, edu) ──────────────────────────────► EDU queues
 *  rooms.onCommitted / queueEdu resolved ──► sender.wake(destination) ──► PUT /send/{txnId}
 * ```
 *
 * `registerOutboundQueue` is listed in FEDERATION_ROUTES (src/server.ts) so the queues start
 * with the server (and pick up whatever a previous run left pending); it registers no routes.
 */
import type { App, RouteRegistrar } from "../../app.js";
import type { JsonObject } from "../../events/types.js";
import { logger } from "../../log.js";
import type { PersistedInfo } from "../../rooms/pipeline/receive-events.js";
import { destinationsFor } from "./fan-out.js";
import { OutboundStore, type OutboundLimits } from "./outbound-store.js";
import { TransactionSender, type SenderOptions } from "./sender.js";

export { OutboundStore } from "./outbound-store.js";
export { TransactionSender, newTxnId } from "./sender.js";

/** An EDU as it travels in a transaction (definitions/edu.yaml). */
export interface Edu {
  readonly edu_type: string;
  readonly content: JsonObject;
}

export class OutboundQueues {
  readonly store: OutboundStore;
  readonly sender: TransactionSender;
  /** Destinations each persisted event was queued for, until its write commits. */
  private readonly pendingWake = new WeakMap<PersistedInfo, readonly string[]>();

  constructor(
    private readonly app: App,
    opts: { limits?: Partial<OutboundLimits>; sender?: Partial<SenderOptions> } = {},
  ) {
    const log = logger("outbound.queue", { server_name: app.serverName });
    this.store = new OutboundStore(app.storage.store, {
      maxPendingPdus: app.config.limits.outbound_max_pending_pdus,
      maxPendingEdus: app.config.limits.outbound_max_pending_edus,
      ...opts.limits,
    });
    this.sender = new TransactionSender(
      { serverName: app.serverName, storage: app.storage, store: this.store, transport: app.federation, log },
      { maxRetryMs: app.config.federation.retry_max_ms, ...opts.sender },
    );
    app.rooms.onPersisted((w, ctx, info, origin) => {
      // Only accepted events go out: a local event that failed auth is stored as rejected
      // before the caller hears of it, and a soft-failed handshake event is not relayed.
      if (info.status !== "accepted") return;
      const destinations = destinationsFor(ctx, info.event, origin);
      for (const d of destinations) this.store.enqueuePdu(w, d, ctx.roomNid, info.nid);
      if (destinations.length > 0) this.pendingWake.set(info, destinations);
    });
    app.rooms.onCommitted((_ctx, infos) => {
      for (const info of infos) {
        const destinations = this.pendingWake.get(info);
        if (destinations) for (const d of destinations) this.sender.wake(d);
      }
    });
  }

  /** Queue an EDU for each destination (our own name is skipped); resolves once durable. */
  async queueEdu(destinations: string | Iterable<string>, edu: Edu): Promise<void> {
    const list = [...new Set(typeof destinations === "string" ? [destinations] : destinations)].filter((d) => d !== this.app.serverName);
    if (list.length === 0) return;
    const json = JSON.stringify(edu);
    await this.app.storage.write((w) => this.store.enqueueEdu(w, list, json));
    for (const d of list) this.sender.wake(d);
  }

  start(): void {
    this.sender.start();
  }

  close(): void {
    this.sender.close();
  }
}

const running = new WeakMap<App, OutboundQueues>();

/** Start the queues for `app` (once; later calls return the same instance). */
export function startOutbound(app: App, opts?: ConstructorParameters<typeof OutboundQueues>[1]): OutboundQueues {
  let q = running.get(app);
  if (q === undefined) {
    q = new OutboundQueues(app, opts);
    running.set(app, q);
    q.start();
  }
  return q;
}

/** The running queues of `app`. */
export function outboundOf(app: App): OutboundQueues {
  const q = running.get(app);
  if (q === undefined) throw new Error("outbound queues are not started for this server");
  return q;
}

/**
 * For EDU producers (typing, receipts, presence, device lists, to-device): queue `edu` for
 * `destinations`. Durable when the promise resolves; sent in the destination's next
 * transaction (≤100 EDUs each).
 */
export function queueEdu(app: App, destinations: string | Iterable<string>, edu: Edu): Promise<void> {
  return outboundOf(app).queueEdu(destinations, edu);
}

/** Starts the outbound queues with the server; registers no routes. */
export const registerOutboundQueue: RouteRegistrar = (_router, app) => {
  startOutbound(app);
};
