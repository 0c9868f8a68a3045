/**
 * Gauges read from the running components at scrape time: room actors and their mailbox
 * depths (top 10), the crypto pool's queue and utilisation, the outbound destination queues
 * (pending items, backoff, outages), and LMDB's size.
 */
import type { App } from "../app.js";
import { outboundOf } from "../outbound/queue/index.js";
import type { Metrics } from "./metrics.js";

const TOP_MAILBOXES = 10;

export function registerServiceGauges(metrics: Metrics, app: App): void {
  metrics.gauge("conflux_room_actors", "Room actors in memory", [], (set) => set({}, app.rooms.actorCount));
  metrics.gauge("conflux_room_mailbox_depth", `Jobs waiting in the ${TOP_MAILBOXES} deepest room mailboxes`, ["room_id"], (set) => {
    for (const { roomId, depth } of app.rooms.mailboxDepths(TOP_MAILBOXES)) set({ room_id: roomId }, depth);
  });
  metrics.gauge("conflux_crypto_pool_queue_size", "Crypto pool tasks waiting for a worker", [], (set) => set({}, app.pool.queueSize));
  metrics.gauge("conflux_crypto_pool_utilization", "Crypto pool utilisation (0–1) since start", [], (set) => set({}, app.pool.utilization));
  metrics.gauge(
    "conflux_outbound_destination_pending",
    "Items queued per destination with work (pdus, edus, catch_up_rooms)",
    ["destination", "kind"],
    (set) => {
      const store = outboundOf(app).store;
      for (const d of store.destinationsWithWork()) {
        const p = store.pending(d);
        set({ destination: d, kind: "pdus" }, p.pdus);
        set({ destination: d, kind: "edus" }, p.edus);
        set({ destination: d, kind: "catch_up_rooms" }, p.catchUpRooms);
      }
    },
  );
  metrics.gauge(
    "conflux_outbound_destination_backoff_seconds",
    "Seconds until the next attempt, per destination in backoff (outage = 1 when considered down)",
    ["destination", "outage"],
    (set) => {
      const store = outboundOf(app).store;
      const now = Date.now();
      for (const d of store.destinationsWithWork()) {
        const r = store.retry(d);
        if (r && r.failures > 0) set({ destination: d, outage: r.outage ? "1" : "0" }, Math.max(0, (r.retryAt - now) / 1000));
      }
    },
  );
  metrics.gauge("conflux_lmdb_file_bytes", "Size of the LMDB data file", [], (set) => set({}, app.storage.store.stats().fileBytes));
  metrics.gauge("conflux_lmdb_entries", "Entries per LMDB sub-database", ["db"], (set) => {
    for (const [db, s] of Object.entries(app.storage.store.stats().dbs)) set({ db }, s.entries);
  });
}
