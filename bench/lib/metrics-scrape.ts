/**
 * Reading the server's own figures from its Prometheus endpoint (`listeners.metrics`), e.g.
 * `conflux_http_request_duration_seconds` for the server-side time of a request: the sum and
 * count of a histogram before and after one request give that request's duration as the
 * server measured it (request head → response handed to the socket), free of client overhead.
 */
import http from "node:http";

export function scrapeMetrics(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString("utf8")) : reject(new Error(`metrics: HTTP ${res.statusCode}`))));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** `k="v",…` of a sample line (values unescaped). */
function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]!] = m[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  return out;
}

/** The value of the sample `name{…}` whose labels include all of `labels` (summed if several match). */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    let labelText = "";
    let valueText: string;
    if (rest.startsWith("{")) {
      const close = rest.lastIndexOf("}");
      labelText = rest.slice(1, close);
      valueText = rest.slice(close + 1);
    } else if (rest.startsWith(" ")) {
      valueText = rest;
    } else {
      continue; // a longer metric name with this prefix
    }
    const have = parseLabels(labelText);
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(valueText.trim().split(" ")[0]);
  }
  return total;
}

export interface HistogramTotals {
  sum: number;
  count: number;
}

export function histogramTotals(text: string, name: string, labels: Record<string, string>): HistogramTotals {
  return { sum: sampleValue(text, `${name}_sum`, labels), count: sampleValue(text, `${name}_count`, labels) };
}

/** Server-side seconds spent on requests of a route between two scrapes (one request: its duration). */
export function requestSecondsBetween(before: string, after: string, listener: string, route: string): HistogramTotals {
  const labels = { listener, route };
  const a = histogramTotals(before, "conflux_http_request_duration_seconds", labels);
  const b = histogramTotals(after, "conflux_http_request_duration_seconds", labels);
  return { sum: b.sum - a.sum, count: b.count - a.count };
}
