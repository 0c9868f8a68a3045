/**
 * Prometheus metrics (prom-client), one registry per server (tests run several servers in one
 * process, so nothing goes to prom-client's global registry).
 *
 * Counters and histograms are updated where things happen (HTTP dispatch, the /send pipeline,
 * the crypto pool); gauges that describe a component's current state (mailbox depths, queue
 * sizes, LMDB size) are read from the components when Prometheus scrapes, through `collectors`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type GaugeCollector = (set: (labels: Record<string, string>, value: number) => void) => void;

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: "conflux_http_requests_total",
    help: "HTTP requests served, by listener, method, route pattern and status",
    labelNames: ["listener", "method", "route", "status"] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: "conflux_http_request_duration_seconds",
    help: "Time from the request head to the response, by listener and route pattern",
    labelNames: ["listener", "route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly pdus = new Counter({
    name: "conflux_pdus_total",
    help: "PDUs received in /send transactions by outcome: accepted (incl. soft-failed), rejected, unplaced, dropped (format, signature, ACL, unknown room)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly storedEvents = new Counter({
    name: "conflux_events_stored_total",
    help: "Events stored by the room actors, by status (accepted, soft_failed, rejected) and origin (local, remote)",
    labelNames: ["status", "origin"] as const,
    registers: [this.registry],
  });

  readonly edus = new Counter({
    name: "conflux_edus_total",
    help: "Received EDUs by type",
    labelNames: ["edu_type"] as const,
    registers: [this.registry],
  });

  readonly poolTaskDuration = new Histogram({
    name: "conflux_crypto_pool_task_seconds",
    help: "Crypto pool task latency (queueing included), by operation",
    labelNames: ["op"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly outboundTransactions = new Counter({
    name: "conflux_outbound_transactions_total",
    help: "Outbound federation transactions by result (ok, error)",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "conflux_" });
  }

  /** A gauge whose values are read from a component at scrape time. */
  gauge(name: string, help: string, labelNames: readonly string[], collect: GaugeCollector): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        collect((labels, value) => this.set(labels, value));
      },
    });
  }

  /** Time an async operation into a histogram. */
  async time<T>(h: Histogram<"op">, op: string, fn: () => Promise<T>): Promise<T> {
    const end = h.startTimer({ op });
    try {
      return await fn();
    } finally {
      end();
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
