/**
 * `GET https://<hostname>/.well-known/matrix/server` for server discovery step 3
 * (server-server API "Resolving server names"; wellknown.yaml), with its cache.
 *
 * - 30x redirects are followed (https only), with a hop limit and a visited set so loops end.
 * - The body is parsed as JSON whatever its Content-Type ("servers parsing the response should
 *   assume that the body is JSON regardless of type"). A non-200, bad JSON, or an `m.server`
 *   that is not a string in the server-name grammar makes the response invalid: discovery goes
 *   on to step 4, it does not fail.
 * - Cache (spec: "Responses (successful or otherwise) … should be cached"): a valid answer for
 *   the response's Cache-Control `max-age` (or `Expires`), default 24 h, capped at 48 h, and
 *   never under 5 minutes, so a `no-store` delegation does not cost a well-known round trip per
 *   request. Failures are cached for 5 minutes, doubling per consecutive failure up to the
 *   recommended hour ("exponentially back off for repeated failures").
 * - Concurrent lookups of one hostname share one request.
 */
import type { IncomingHttpHeaders } from "node:http";
import { isIP } from "node:net";
import { parseServerName } from "../events/ids.js";
import { logger } from "../log.js";
import { backoffDelay } from "./backoff.js";
import { lookupFunction, type DnsResolver } from "./dns.js";
import { httpsFetch, type HttpsTarget, type TlsPolicy } from "./https-fetch.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const WELL_KNOWN_DEFAULT_CACHE_MS = 24 * HOUR;
export const WELL_KNOWN_MAX_CACHE_MS = 48 * HOUR;
export const WELL_KNOWN_MIN_CACHE_MS = 5 * MINUTE;
export const WELL_KNOWN_FAILURE_BASE_MS = 5 * MINUTE;
export const WELL_KNOWN_FAILURE_MAX_MS = HOUR;

export type WellKnownResult =
  | { readonly kind: "delegated"; readonly server: string }
  | { readonly kind: "invalid"; readonly reason: string };

export interface WellKnownAnswer {
  readonly result: WellKnownResult;
  /** When the cached answer runs out (ms since the epoch). */
  readonly expiresAt: number;
}

export interface WellKnownOptions {
  readonly resolver: DnsResolver;
  readonly tls: TlsPolicy;
  readonly now?: () => number;
  /** Port of the well-known HTTPS server; 443 except in tests. */
  readonly port?: number;
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  readonly maxRedirects?: number;
  /** Hostnames kept in the cache; the oldest entries go first beyond this. */
  readonly maxEntries?: number;
}

interface Entry {
  answer: WellKnownAnswer;
  failures: number;
}

const log = logger("outbound.well-known");

export class WellKnownResolver {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<WellKnownAnswer>>();
  private readonly now: () => number;
  private readonly port: number;

  constructor(private readonly options: WellKnownOptions) {
    this.now = options.now ?? Date.now;
    this.port = options.port ?? 443;
  }

  /** The (possibly cached) well-known answer for `hostname`. Never rejects. */
  get(hostname: string): Promise<WellKnownAnswer> {
    const cached = this.cache.get(hostname);
    if (cached && cached.answer.expiresAt > this.now()) return Promise.resolve(cached.answer);
    let pending = this.inflight.get(hostname);
    if (!pending) {
      pending = this.fetchAndCache(hostname, cached?.failures ?? 0).finally(() => this.inflight.delete(hostname));
      this.inflight.set(hostname, pending);
    }
    return pending;
  }

  /** Forget cached answers (all, or one hostname). */
  clear(hostname?: string): void {
    if (hostname === undefined) this.cache.clear();
    else this.cache.delete(hostname);
  }

  private async fetchAndCache(hostname: string, previousFailures: number): Promise<WellKnownAnswer> {
    const { result, headers } = await this.fetch(hostname);
    const now = this.now();
    let entry: Entry;
    if (result.kind === "delegated") {
      const period = clamp(cachePeriodMs(headers, now) ?? WELL_KNOWN_DEFAULT_CACHE_MS, WELL_KNOWN_MIN_CACHE_MS, WELL_KNOWN_MAX_CACHE_MS);
      entry = { answer: { result, expiresAt: now + period }, failures: 0 };
    } else {
      const failures = previousFailures + 1;
      const period = backoffDelay(failures, WELL_KNOWN_FAILURE_BASE_MS, WELL_KNOWN_FAILURE_MAX_MS);
      entry = { answer: { result, expiresAt: now + period }, failures };
      log.debug({ hostname, reason: result.reason, failures }, "no usable .well-known/matrix/server");
    }
    this.cache.delete(hostname);
    this.cache.set(hostname, entry);
    const max = this.options.maxEntries ?? 10_000;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value as string);
    return entry.answer;
  }

  private async fetch(hostname: string): Promise<{ result: WellKnownResult; headers?: IncomingHttpHeaders }> {
    const maxRedirects = this.options.maxRedirects ?? 5;
    let url = new URL(`https://${isIP(hostname) === 6 ? `[${hostname}]` : hostname}:${this.port}/.well-known/matrix/server`);
    const visited = new Set<string>();
    for (let hop = 0; ; hop++) {
      visited.add(url.href);
      const host = url.hostname.replace(/^\[|\]$/g, "");
      const target: HttpsTarget = {
        host,
        port: url.port === "" ? 443 : Number(url.port),
        certName: host,
        hostHeader: url.host,
      };
      let res;
      try {
        res = await httpsFetch(target, {
          method: "GET",
          path: `${url.pathname}${url.search}`,
          headers: { Accept: "application/json" },
          tls: this.options.tls,
          agent: false,
          lookup: lookupFunction(this.options.resolver),
          timeoutMs: this.options.timeoutMs ?? 10_000,
          maxResponseBytes: this.options.maxResponseBytes ?? 64 * 1024,
          label: hostname,
        });
      } catch (err) {
        return { result: { kind: "invalid", reason: (err as Error).message } };
      }
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        const location = res.headers.location;
        if (!location) return { result: { kind: "invalid", reason: `redirect ${res.status} without Location` } };
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return { result: { kind: "invalid", reason: "redirect to a malformed URL" } };
        }
        if (next.protocol !== "https:") return { result: { kind: "invalid", reason: "redirect away from https" } };
        if (visited.has(next.href)) return { result: { kind: "invalid", reason: "redirect loop" } };
        if (hop + 1 > maxRedirects) return { result: { kind: "invalid", reason: "too many redirects" } };
        url = next;
        continue;
      }
      return { result: parseWellKnown(res.status, res.body), headers: res.headers };
    }
  }
}

/** Validate a well-known response (wellknown.yaml): 200, a JSON object, `m.server` a server name. */
export function parseWellKnown(status: number, body: Buffer): WellKnownResult {
  if (status !== 200) return { kind: "invalid", reason: `status ${status}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return { kind: "invalid", reason: "body is not JSON" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { kind: "invalid", reason: "body is not a JSON object" };
  const server = (parsed as Record<string, unknown>)["m.server"];
  if (typeof server !== "string") return { kind: "invalid", reason: "m.server missing or not a string" };
  if (parseServerName(server) === null) return { kind: "invalid", reason: "m.server is not a valid server name" };
  return { kind: "delegated", server };
}

/**
 * Freshness lifetime from the response headers (RFC 9111 §4.2.1): `no-store`/`no-cache` → 0,
 * else `max-age`, else `Expires` − now; `undefined` when the headers say nothing.
 */
export function cachePeriodMs(headers: IncomingHttpHeaders | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const cc = headers["cache-control"];
  if (cc) {
    const directives = cc.toLowerCase().split(",").map((d) => d.trim());
    if (directives.some((d) => d === "no-store" || d === "no-cache")) return 0;
    for (const d of directives) {
      const m = /^max-age\s*=\s*"?(\d+)"?$/.exec(d);
      if (m) return Number(m[1]) * 1000;
    }
  }
  const expires = headers.expires;
  if (expires) {
    const at = Date.parse(expires);
    return Number.isNaN(at) ? 0 : Math.max(0, at - now);
  }
  return undefined;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
