/**
 * The metrics listener: `GET /metrics` in the Prometheus text format, on its own address
 * (config `listeners.metrics`) so it can stay private while the APIs are public. Plain
 * node:http: it is scraped every few seconds, not a hot path.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { logger } from "../log.js";
import type { Metrics } from "./metrics.js";

export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

export function startMetricsListener(metrics: Metrics, host: string, port: number): Promise<MetricsListener> {
  const log = logger("metrics");
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }));
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { "Content-Type": metrics.contentType }).end(body),
      (err: unknown) => {
        log.error({ err }, "collecting metrics failed");
        res.writeHead(500).end();
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const bound = (server.address() as AddressInfo).port;
      log.info({ host, port: bound }, "metrics listening");
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
