/**
 * Server discovery: server name → where to connect, which certificate name to demand, which
 * `Host` header to send (server-server API "Resolving server names", steps 1–6; checklist §2).
 *
 *   name is IP literal ─────────────────────────────► 1  IP, port or 8448, Host = name
 *   hostname:port ──────────────────────────────────► 2  hostname, port, Host = name
 *   hostname ── GET /.well-known/matrix/server
 *     valid m.server = delegated[:dport]
 *        IP literal ────────────────────────────────► 3.1 IP, dport or 8448, Host = delegated
 *        hostname:dport ────────────────────────────► 3.2 hostname, dport, Host = delegated
 *        hostname ── SRV _matrix-fed._tcp.hostname ─► 3.3 target, Host = delegated hostname
 *                 ── SRV _matrix._tcp.hostname ─────► 3.4 (deprecated) same
 *                 ──────────────────────────────────► 3.5 hostname, 8448
 *     invalid / error
 *        SRV _matrix-fed._tcp.<hostname> ───────────► 4  target, Host = hostname
 *        SRV _matrix._tcp.<hostname> ───────────────► 5  (deprecated) same
 *        ───────────────────────────────────────────► 6  hostname, 8448
 *
 * With an SRV target the certificate is still checked against the (delegated) hostname, not
 * the target: DNS is not trusted to delegate, TLS is (the spec's note on steps 4/5). A/AAAA
 * resolution of the connect host happens at connect time through the resolver's `lookup`.
 *
 * Results from steps 3–6 are cached for at most `cacheTtlMs` and never beyond the well-known
 * answer they used; concurrent resolutions of one name share the work.
 */
import { parseServerName, type ParsedServerName } from "../events/ids.js";
import { pickSrv, type DnsResolver } from "./dns.js";
import type { HttpsTarget } from "./https-fetch.js";
import type { WellKnownResolver } from "./well-known.js";

export const DEFAULT_FEDERATION_PORT = 8448;

export interface ResolvedServer extends HttpsTarget {
  /** The server name that was resolved (what requests are signed for). */
  readonly serverName: string;
  /** Which discovery step produced it ("1", "2", "3.1" … "6"), for logs and tests. */
  readonly step: string;
}

export interface DiscoveryOptions {
  readonly resolver: DnsResolver;
  readonly wellKnown: WellKnownResolver;
  readonly now?: () => number;
  /** Upper bound on caching a DNS-based result; default 1 hour. */
  readonly cacheTtlMs?: number;
  readonly maxEntries?: number;
}

export class InvalidServerNameError extends Error {
  constructor(readonly serverName: string) {
    super(`not a valid server name: ${serverName}`);
    this.name = "InvalidServerNameError";
  }
}

export class ServerDiscovery {
  private readonly cache = new Map<string, { resolved: ResolvedServer; expiresAt: number }>();
  private readonly inflight = new Map<string, Promise<ResolvedServer>>();
  private readonly now: () => number;

  constructor(private readonly options: DiscoveryOptions) {
    this.now = options.now ?? Date.now;
  }

  get resolver(): DnsResolver {
    return this.options.resolver;
  }

  /** Resolve a server name. Rejects only with `InvalidServerNameError`. */
  resolve(serverName: string): Promise<ResolvedServer> {
    const parsed = parseServerName(serverName);
    if (!parsed) return Promise.reject(new InvalidServerNameError(serverName));
    // Steps 1 and 2 need no lookup of ours (A/AAAA happens at connect).
    if (parsed.kind !== "dns") {
      return Promise.resolve(direct(serverName, "1", parsed.host, parsed.port ?? DEFAULT_FEDERATION_PORT, serverName));
    }
    if (parsed.port !== undefined) return Promise.resolve(direct(serverName, "2", parsed.host, parsed.port, serverName));

    const cached = this.cache.get(serverName);
    if (cached && cached.expiresAt > this.now()) return Promise.resolve(cached.resolved);
    let pending = this.inflight.get(serverName);
    if (!pending) {
      pending = this.discover(serverName, parsed.host).finally(() => this.inflight.delete(serverName));
      this.inflight.set(serverName, pending);
    }
    return pending;
  }

  private async discover(serverName: string, hostname: string): Promise<ResolvedServer> {
    const now = this.now();
    let expiresAt = now + (this.options.cacheTtlMs ?? 3_600_000);
    const answer = await this.options.wellKnown.get(hostname);
    expiresAt = Math.min(expiresAt, answer.expiresAt);
    let resolved: ResolvedServer;
    if (answer.result.kind === "delegated") {
      const delegated = answer.result.server;
      resolved = await this.viaDelegation(serverName, delegated, parseServerName(delegated)!);
    } else {
      resolved =
        (await this.viaSrv(serverName, hostname, hostname, ["4", "5"])) ??
        direct(serverName, "6", hostname, DEFAULT_FEDERATION_PORT, hostname);
    }
    this.cache.delete(serverName);
    this.cache.set(serverName, { resolved, expiresAt });
    const max = this.options.maxEntries ?? 10_000;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value as string);
    return resolved;
  }

  private async viaDelegation(serverName: string, delegated: string, d: ParsedServerName): Promise<ResolvedServer> {
    // 3.1: "Requests must be made with a Host header containing the IP address, including the
    // port if one was provided" — the delegated text as given, brackets and all.
    if (d.kind !== "dns") return direct(serverName, "3.1", d.host, d.port ?? DEFAULT_FEDERATION_PORT, delegated);
    if (d.port !== undefined) return direct(serverName, "3.2", d.host, d.port, delegated);
    return (
      (await this.viaSrv(serverName, d.host, d.host, ["3.3", "3.4"])) ??
      direct(serverName, "3.5", d.host, DEFAULT_FEDERATION_PORT, d.host)
    );
  }

  /** `_matrix-fed._tcp.<name>`, then the deprecated `_matrix._tcp.<name>`. */
  private async viaSrv(serverName: string, name: string, certName: string, steps: [string, string]): Promise<ResolvedServer | undefined> {
    const services = ["_matrix-fed._tcp", "_matrix._tcp"];
    for (let i = 0; i < services.length; i++) {
      const record = pickSrv(await this.options.resolver.resolveSrv(`${services[i]}.${name}`));
      if (record) {
        return { serverName, step: steps[i]!, host: record.name, port: record.port, certName, hostHeader: name };
      }
    }
    return undefined;
  }

  clear(): void {
    this.cache.clear();
  }
}

function direct(serverName: string, step: string, host: string, port: number, hostHeader: string): ResolvedServer {
  return { serverName, step, host, port, certName: host, hostHeader };
}
