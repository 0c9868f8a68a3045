/**
 * The DNS the outbound side needs, behind a narrow interface so tests on loopback can answer
 * SRV and A/AAAA questions for made-up names without a DNS server:
 * - `resolveSrv`: SRV records (server discovery steps 3.3, 3.4, 4, 5); "none" is `[]`.
 * - `lookup`: A/AAAA for a host to connect to (CNAMEs followed), used as the socket `lookup`.
 */
import dns from "node:dns";
import type { LookupFunction } from "node:net";

export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

export interface LookupAddress {
  readonly address: string;
  /** 4 or 6 */
  readonly family: number;
}

export interface DnsResolver {
  /** SRV records for `name`; `[]` when there are none or the lookup failed. */
  resolveSrv(name: string): Promise<SrvRecord[]>;
  /** Addresses for `hostname`; rejects when it does not resolve. */
  lookup(hostname: string): Promise<LookupAddress[]>;
}

/** The operating system's resolver (c-ares for SRV, getaddrinfo for addresses). */
export const systemResolver: DnsResolver = {
  async resolveSrv(name) {
    try {
      return await dns.promises.resolveSrv(name);
    } catch {
      // NXDOMAIN / NODATA / SERVFAIL alike: discovery moves on to its next step.
      return [];
    }
  },
  lookup(hostname) {
    return dns.promises.lookup(hostname, { all: true, verbatim: true });
  },
};

/** Adapt a resolver to the `lookup` option of `net.connect` (handles `all: true`, which
 * Node 20's happy-eyeballs connect asks for). */
export function lookupFunction(resolver: DnsResolver): LookupFunction {
  if (resolver === systemResolver) return dns.lookup as LookupFunction;
  return (hostname, options, callback) => {
    resolver.lookup(hostname).then(
      (addresses) => {
        const family = typeof options === "object" && options !== null ? options.family : undefined;
        const wanted = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        if (wanted.length === 0) {
          const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname });
          callback(err, "", 0);
        } else if (typeof options === "object" && options !== null && options.all) {
          (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, wanted);
        } else {
          callback(null, wanted[0]!.address, wanted[0]!.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, "", 0),
    );
  };
}

/**
 * RFC 2782 target selection: the lowest priority wins; within it, a weighted random pick
 * (weight-0 records only get picked when every weight is 0). A single target of "." means the
 * service is decidedly not offered: `undefined`.
 */
export function pickSrv(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord | undefined {
  const usable = records.filter((r) => r.name !== "" && r.name !== ".");
  if (usable.length === 0) return undefined;
  const best = Math.min(...usable.map((r) => r.priority));
  const group = usable.filter((r) => r.priority === best);
  const total = group.reduce((sum, r) => sum + r.weight, 0);
  if (total === 0) return group[Math.floor(random() * group.length)] ?? group[0];
  let pick = random() * total;
  for (const r of group) {
    pick -= r.weight;
    if (pick < 0) return r;
  }
  return group[group.length - 1];
}
