/**
 * `FederationClient`: every outbound server-server request goes through here.
 *
 *   request(destination, method, path, body)
 *     → per-destination slot (Semaphore, `maxConcurrentPerDestination`)
 *     → discovery (ServerDiscovery: where to connect, certificate name, Host header)
 *     → X-Matrix signature for (method, path+query, origin, destination, body)
 *       (server-server API "Request Authentication"; signed on the main thread, measured in
 *       src/federation/auth/request-json.ts)
 *     → HTTPS on a keep-alive agent of that destination, TLS verified by default
 *     → JSON, or RemoteError / UnreachableError (errors.ts)
 *
 * `destination` is always the server name before delegation: it is what the signature names
 * (spec: "Delegation … do[es] not affect these"). TLS: verification on unless
 * `federation.verify_tls: false` (test networks only); `federation.trusted_ca_paths` are added
 * to Node's root store, not substituted for it (spec "TLS": operators may extend the trusted
 * authorities). Node's https keep-alive agents were chosen over undici because undici is not a
 * public module of Node 20 and adding it as a dependency buys nothing measurable here: the
 * per-request cost is dominated by signing and JSON, not by the HTTP client.
 */
import { readFileSync } from "node:fs";
import https from "node:https";
import tls from "node:tls";
import type { Config } from "../config.js";
import { signRequest } from "../federation/auth/request-json.js";
import { IMPLEMENTATION_NAME, IMPLEMENTATION_VERSION } from "../federation/version.js";
import type { SigningKey } from "../events/signing-json.js";
import type { JsonValue } from "../events/types.js";
import { lookupFunction, systemResolver, type DnsResolver } from "./dns.js";
import { ServerDiscovery } from "./discovery.js";
import { RemoteError, UnreachableError } from "./errors.js";
import { httpsFetch, type HttpsResponse, type TlsPolicy } from "./https-fetch.js";
import { Semaphore } from "./semaphore.js";
import { WellKnownResolver } from "./well-known.js";

export interface FederationClientOptions {
  /** Our server name: the `origin` of every request. */
  readonly serverName: string;
  readonly signingKey: SigningKey;
  readonly discovery: ServerDiscovery;
  readonly tls: TlsPolicy;
  /** Requests in flight per destination; more wait in FIFO order. Default 10. */
  readonly maxConcurrentPerDestination?: number;
  /** Default deadline for a request, including the wait for a slot. Default 60 s. */
  readonly timeoutMs?: number;
  /** Default cap on a response body. Default 64 MiB (a large room's /state). */
  readonly maxResponseBytes?: number;
}

export interface FederationRequestOptions {
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  readonly signal?: AbortSignal;
}

const USER_AGENT = `${IMPLEMENTATION_NAME}/${IMPLEMENTATION_VERSION}`;

interface Destination {
  readonly agent: https.Agent;
  readonly slots: Semaphore;
}

export class FederationClient {
  readonly serverName: string;
  private readonly destinations = new Map<string, Destination>();
  private readonly lookup;
  private readonly perDestination: number;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: FederationClientOptions) {
    this.serverName = options.serverName;
    this.lookup = lookupFunction(options.discovery.resolver);
    this.perDestination = options.maxConcurrentPerDestination ?? 10;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
  }

  get discovery(): ServerDiscovery {
    return this.options.discovery;
  }

  /**
   * Send a signed request and return the parsed JSON response body. `pathAndQuery` starts with
   * `/_matrix/` and is sent (and signed) exactly as given: callers percent-encode path
   * parameters (`encodeURIComponent`) and build the query themselves (`withQuery`).
   */
  async request<T = unknown>(
    destination: string,
    method: string,
    pathAndQuery: string,
    body?: JsonValue,
    opts: FederationRequestOptions = {},
  ): Promise<T> {
    if (!pathAndQuery.startsWith("/")) throw new TypeError(`federation request path must start with '/': ${pathAndQuery}`);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const deadlineAt = Date.now() + timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
    const dest = this.destination(destination);

    let release: () => void;
    try {
      release = await dest.slots.acquire(signal);
    } catch {
      throw new UnreachableError(destination, deadline.aborted ? "timed out waiting for a connection slot" : "aborted");
    }
    try {
      let target;
      try {
        target = await this.options.discovery.resolve(destination);
      } catch (err) {
        throw new UnreachableError(destination, (err as Error).message, { cause: err });
      }
      const signed = signRequest({ method, uri: pathAndQuery, origin: this.serverName, destination }, this.options.signingKey, body);
      const headers: Record<string, string> = { Authorization: signed.authorization, "User-Agent": USER_AGENT, Accept: "application/json" };
      if (signed.body !== undefined) headers["Content-Type"] = "application/json";
      const res = await httpsFetch(target, {
        method,
        path: pathAndQuery,
        headers,
        ...(signed.body !== undefined ? { body: signed.body } : {}),
        tls: this.options.tls,
        agent: dest.agent,
        lookup: this.lookup,
        timeoutMs: Math.max(1, deadlineAt - Date.now()),
        maxResponseBytes: opts.maxResponseBytes ?? this.maxResponseBytes,
        signal,
        label: destination,
      });
      return parseResponse<T>(destination, res);
    } finally {
      release();
    }
  }

  get<T = unknown>(destination: string, pathAndQuery: string, opts?: FederationRequestOptions): Promise<T> {
    return this.request<T>(destination, "GET", pathAndQuery, undefined, opts);
  }

  /** Server-server "API standards": POST and PUT always carry a JSON object, `{}` by default. */
  put<T = unknown>(destination: string, pathAndQuery: string, body: JsonValue = {}, opts?: FederationRequestOptions): Promise<T> {
    return this.request<T>(destination, "PUT", pathAndQuery, body, opts);
  }

  post<T = unknown>(destination: string, pathAndQuery: string, body: JsonValue = {}, opts?: FederationRequestOptions): Promise<T> {
    return this.request<T>(destination, "POST", pathAndQuery, body, opts);
  }

  /** Requests currently holding a slot to `destination` (for metrics and tests). */
  inFlight(destination: string): number {
    return this.destinations.get(destination)?.slots.inUse ?? 0;
  }

  /** Drop every pooled connection. Requests in flight fail with `UnreachableError`. */
  close(): void {
    for (const d of this.destinations.values()) d.agent.destroy();
    this.destinations.clear();
  }

  private destination(name: string): Destination {
    let d = this.destinations.get(name);
    if (!d) {
      d = {
        // maxSockets matches the slot count, so requests never queue invisibly inside the agent.
        agent: new https.Agent({ keepAlive: true, maxSockets: this.perDestination, maxFreeSockets: this.perDestination, timeout: 90_000, scheduling: "lifo" }),
        slots: new Semaphore(this.perDestination),
      };
      this.destinations.set(name, d);
    }
    return d;
  }
}

function parseResponse<T>(destination: string, res: HttpsResponse): T {
  const text = res.body.toString("utf8");
  let parsed: unknown;
  let isJson = true;
  try {
    parsed = JSON.parse(text);
  } catch {
    isJson = false;
  }
  if (res.status >= 200 && res.status < 300) {
    if (!isJson) throw new RemoteError(destination, res.status, undefined, text);
    return parsed as T;
  }
  const errcode =
    isJson && typeof parsed === "object" && parsed !== null && typeof (parsed as Record<string, unknown>).errcode === "string"
      ? ((parsed as Record<string, unknown>).errcode as string)
      : undefined;
  throw new RemoteError(destination, res.status, errcode, isJson ? parsed : text);
}

/** `path?k=v&…` with each key and value percent-encoded; `undefined` values are left out. */
export function withQuery(path: string, query: Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(item))}`);
  }
  return parts.length === 0 ? path : `${path}${path.includes("?") ? "&" : "?"}${parts.join("&")}`;
}

/** The TLS policy from `federation.verify_tls` and `federation.trusted_ca_paths`. */
export function tlsPolicyFromConfig(config: Config): TlsPolicy {
  const extra = config.federation.trusted_ca_paths.map((p) => readFileSync(p));
  return extra.length === 0 ? { verify: config.federation.verify_tls } : { verify: config.federation.verify_tls, ca: [...tls.rootCertificates, ...extra] };
}

export interface ClientWiring {
  /** DNS for discovery and connects; the system resolver by default. */
  readonly resolver?: DnsResolver;
  /** Port for `.well-known` fetches (443; tests use loopback ports). */
  readonly wellKnownPort?: number;
  readonly maxConcurrentPerDestination?: number;
}

/** The client as the server runs it: discovery, well-known cache and TLS from the config. */
export function createFederationClient(config: Config, signingKey: SigningKey, wiring: ClientWiring = {}): FederationClient {
  const tlsPolicy = tlsPolicyFromConfig(config);
  const resolver = wiring.resolver ?? systemResolver;
  const wellKnown = new WellKnownResolver({ resolver, tls: tlsPolicy, ...(wiring.wellKnownPort ? { port: wiring.wellKnownPort } : {}) });
  const discovery = new ServerDiscovery({ resolver, wellKnown });
  return new FederationClient({
    serverName: config.server_name,
    signingKey,
    discovery,
    tls: tlsPolicy,
    ...(wiring.maxConcurrentPerDestination ? { maxConcurrentPerDestination: wiring.maxConcurrentPerDestination } : {}),
  });
}
