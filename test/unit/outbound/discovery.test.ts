import https from "node:https";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateSelfSignedCertificate } from "../../../src/crypto/tls-cert.js";
import { pickSrv, type DnsResolver, type SrvRecord } from "../../../src/outbound/dns.js";
import { InvalidServerNameError, ServerDiscovery } from "../../../src/outbound/discovery.js";
import { cachePeriodMs, parseWellKnown, WellKnownResolver } from "../../../src/outbound/well-known.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** Made-up DNS: every *.test name is 127.0.0.1; SRV answers from a table. */
class FakeDns implements DnsResolver {
  srv = new Map<string, SrvRecord[]>();
  srvQueries: string[] = [];
  async resolveSrv(name: string): Promise<SrvRecord[]> {
    this.srvQueries.push(name);
    return this.srv.get(name) ?? [];
  }
  async lookup(hostname: string) {
    if (hostname.endsWith(".test")) return [{ address: "127.0.0.1", family: 4 }];
    throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  }
}

describe("server discovery", () => {
  const hosts = ["example.test", "ipdel.test", "portdel.test", "srvdel.test", "srvold.test", "nosrv.test", "redirect.test", "loop.test", "plain.test", "cached.test", "failing.test", "concurrent.test", "badjson.test", "badname.test", "capped.test"];
  const certs = new Map(hosts.map((h) => [h, generateSelfSignedCertificate(h)]));
  const untrusted = generateSelfSignedCertificate("untrusted.test");
  const replies = new Map<string, (path: string) => Reply>();
  const hits = new Map<string, number>();
  let server: https.Server;
  let port: number;
  let now = 1_700_000_000_000;
  let dns: FakeDns;
  let wellKnown: WellKnownResolver;
  let discovery: ServerDiscovery;

  beforeAll(async () => {
    const contexts = new Map([...certs, ["untrusted.test", untrusted] as const].map(([h, c]) => [h, tls.createSecureContext({ cert: c.certificatePem, key: c.privateKeyPem })]));
    server = https.createServer(
      {
        cert: untrusted.certificatePem,
        key: untrusted.privateKeyPem,
        SNICallback: (name, cb) => cb(null, contexts.get(name)),
      },
      (req, res) => {
        const host = (req.headers.host ?? "").replace(/:\d+$/, "");
        hits.set(host, (hits.get(host) ?? 0) + 1);
        const reply = replies.get(host)?.(req.url ?? "") ?? { status: 404, body: "{}" };
        res.writeHead(reply.status, { "Content-Type": "application/json", ...reply.headers });
        res.end(reply.body ?? "");
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    replies.clear();
    hits.clear();
    dns = new FakeDns();
    const clock = () => now;
    wellKnown = new WellKnownResolver({ resolver: dns, tls: { verify: true, ca: [...certs.values()].map((c) => c.certificatePem) }, port, now: clock });
    discovery = new ServerDiscovery({ resolver: dns, wellKnown, now: clock });
  });

  const delegate = (host: string, server: string, headers?: Record<string, string>) =>
    replies.set(host, () => ({ status: 200, body: JSON.stringify({ "m.server": server }), ...(headers ? { headers } : {}) }));

  it("step 1: an IP literal is used as is, port 8448 by default, Host = the server name, no lookups", async () => {
    expect(await discovery.resolve("10.1.2.3")).toMatchObject({ step: "1", host: "10.1.2.3", port: 8448, certName: "10.1.2.3", hostHeader: "10.1.2.3" });
    expect(await discovery.resolve("10.1.2.3:9999")).toMatchObject({ port: 9999, hostHeader: "10.1.2.3:9999" });
    expect(await discovery.resolve("[::1]:8008")).toMatchObject({ host: "::1", port: 8008, certName: "::1", hostHeader: "[::1]:8008" });
    expect(hits.size + dns.srvQueries.length).toBe(0);
  });

  it("step 2: a hostname with a port is used directly, Host = the server name", async () => {
    expect(await discovery.resolve("example.test:1234")).toMatchObject({ step: "2", host: "example.test", port: 1234, certName: "example.test", hostHeader: "example.test:1234" });
    expect(hits.size + dns.srvQueries.length).toBe(0);
  });

  it("step 3.1: delegation to an IP literal; Host = the delegated text", async () => {
    delegate("ipdel.test", "127.0.0.5:9000");
    expect(await discovery.resolve("ipdel.test")).toMatchObject({ step: "3.1", host: "127.0.0.5", port: 9000, certName: "127.0.0.5", hostHeader: "127.0.0.5:9000" });
    wellKnown.clear();
    discovery.clear();
    delegate("ipdel.test", "[2001:db8::1]");
    expect(await discovery.resolve("ipdel.test")).toMatchObject({ step: "3.1", host: "2001:db8::1", port: 8448, hostHeader: "[2001:db8::1]" });
  });

  it("step 3.2: delegation to hostname:port; certificate for the delegated hostname", async () => {
    delegate("portdel.test", "delegated.test:7443");
    expect(await discovery.resolve("portdel.test")).toMatchObject({ step: "3.2", host: "delegated.test", port: 7443, certName: "delegated.test", hostHeader: "delegated.test:7443" });
    expect(dns.srvQueries).toEqual([]);
  });

  it("step 3.3: delegation to a bare hostname uses its _matrix-fed._tcp SRV record", async () => {
    delegate("srvdel.test", "delegated.test");
    dns.srv.set("_matrix-fed._tcp.delegated.test", [{ name: "target.test", port: 9448, priority: 10, weight: 5 }]);
    expect(await discovery.resolve("srvdel.test")).toMatchObject({ step: "3.3", host: "target.test", port: 9448, certName: "delegated.test", hostHeader: "delegated.test" });
  });

  it("step 3.4 (deprecated): falls back to _matrix._tcp of the delegated hostname", async () => {
    delegate("srvold.test", "delegated.test");
    dns.srv.set("_matrix._tcp.delegated.test", [{ name: "old-target.test", port: 9449, priority: 0, weight: 0 }]);
    expect(await discovery.resolve("srvold.test")).toMatchObject({ step: "3.4", host: "old-target.test", port: 9449, certName: "delegated.test" });
    expect(dns.srvQueries).toEqual(["_matrix-fed._tcp.delegated.test", "_matrix._tcp.delegated.test"]);
  });

  it("step 3.5: no SRV for the delegated hostname → it, port 8448", async () => {
    delegate("nosrv.test", "delegated.test");
    expect(await discovery.resolve("nosrv.test")).toMatchObject({ step: "3.5", host: "delegated.test", port: 8448, certName: "delegated.test", hostHeader: "delegated.test" });
  });

  it("step 4: no well-known → SRV _matrix-fed._tcp.<hostname>, Host and certificate for the hostname", async () => {
    dns.srv.set("_matrix-fed._tcp.example.test", [{ name: "fed.test", port: 443, priority: 1, weight: 1 }]);
    expect(await discovery.resolve("example.test")).toMatchObject({ step: "4", host: "fed.test", port: 443, certName: "example.test", hostHeader: "example.test" });
    expect(hits.get("example.test")).toBe(1);
  });

  it("step 5 (deprecated): _matrix._tcp.<hostname>", async () => {
    dns.srv.set("_matrix._tcp.example.test", [{ name: "legacy.test", port: 8449, priority: 1, weight: 1 }]);
    expect(await discovery.resolve("example.test")).toMatchObject({ step: "5", host: "legacy.test", port: 8449, certName: "example.test" });
  });

  it("step 6: nothing found → hostname:8448", async () => {
    expect(await discovery.resolve("example.test")).toMatchObject({ step: "6", host: "example.test", port: 8448, certName: "example.test", hostHeader: "example.test" });
  });

  it("parses the well-known body as JSON whatever its Content-Type", async () => {
    replies.set("plain.test", () => ({ status: 200, body: '{"m.server":"delegated.test:1"}', headers: { "Content-Type": "text/plain" } }));
    expect(await discovery.resolve("plain.test")).toMatchObject({ step: "3.2", port: 1 });
  });

  it("treats bad JSON and an invalid m.server as no delegation (discovery goes on, it does not fail)", async () => {
    replies.set("badjson.test", () => ({ status: 200, body: "{not json" }));
    replies.set("badname.test", () => ({ status: 200, body: '{"m.server":"bad host!"}' }));
    expect((await discovery.resolve("badjson.test")).step).toBe("6");
    expect((await discovery.resolve("badname.test")).step).toBe("6");
  });

  it("follows redirects, across hosts", async () => {
    replies.set("redirect.test", (path) =>
      path === "/.well-known/matrix/server"
        ? { status: 301, headers: { Location: "/elsewhere" } }
        : { status: 302, headers: { Location: `https://example.test:${port}/final` } },
    );
    replies.set("example.test", (path) => (path === "/final" ? { status: 200, body: '{"m.server":"delegated.test:8"}' } : { status: 404 }));
    expect(await discovery.resolve("redirect.test")).toMatchObject({ step: "3.2", host: "delegated.test", port: 8 });
    expect(hits.get("redirect.test")).toBe(2);
  });

  it("stops at a redirect loop", async () => {
    replies.set("loop.test", (path) => ({ status: 307, headers: { Location: path === "/a" ? "/b" : "/a" } }));
    expect((await discovery.resolve("loop.test")).step).toBe("6");
    expect(hits.get("loop.test")).toBe(3); // the well-known URL, /a, /b; then /a again is refused
  });

  it("does not trust a well-known server whose certificate does not verify", async () => {
    // SNI "untrusted.test" gets a certificate nobody configured as trusted.
    delegate("untrusted.test", "delegated.test:1");
    expect((await discovery.resolve("untrusted.test")).step).toBe("6");
    expect(hits.get("untrusted.test")).toBeUndefined();
  });

  it("caches a valid answer for max-age, then asks again", async () => {
    delegate("cached.test", "delegated.test:5", { "Cache-Control": "public, max-age=600" });
    await discovery.resolve("cached.test");
    now += 9 * MIN;
    await discovery.resolve("cached.test");
    expect(hits.get("cached.test")).toBe(1);
    now += 2 * MIN;
    await discovery.resolve("cached.test");
    expect(hits.get("cached.test")).toBe(2);
  });

  it("caches 24 h without cache headers and never more than 48 h", async () => {
    delegate("cached.test", "delegated.test:5");
    delegate("capped.test", "delegated.test:6", { "Cache-Control": "max-age=31536000" });
    const start = now;
    expect((await wellKnown.get("cached.test")).expiresAt).toBe(start + 24 * HOUR);
    expect((await wellKnown.get("capped.test")).expiresAt).toBe(start + 48 * HOUR);
  });

  it("caches failures, backing off exponentially up to an hour", async () => {
    const expiries: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = hits.get("failing.test") ?? 0;
      const answer = await wellKnown.get("failing.test");
      expect(hits.get("failing.test")).toBe(before + 1);
      expiries.push(answer.expiresAt - now);
      now += MIN;
      expect(await wellKnown.get("failing.test")).toBe(answer); // still cached: no request
      expect(hits.get("failing.test")).toBe(before + 1);
      now = answer.expiresAt;
    }
    expect(expiries).toEqual([5, 10, 20, 40, 60, 60].map((m) => m * MIN));
  });

  it("a success after failures resets the backoff", async () => {
    await wellKnown.get("failing.test");
    now += HOUR;
    delegate("failing.test", "delegated.test:3");
    expect((await wellKnown.get("failing.test")).result).toEqual({ kind: "delegated", server: "delegated.test:3" });
    now += 48 * HOUR;
    replies.delete("failing.test");
    const again = await wellKnown.get("failing.test");
    expect(again.expiresAt - now).toBe(5 * MIN);
  });

  it("shares one well-known request between concurrent resolutions", async () => {
    delegate("concurrent.test", "delegated.test:4");
    const all = await Promise.all(Array.from({ length: 10 }, () => discovery.resolve("concurrent.test")));
    expect(new Set(all.map((r) => r.port))).toEqual(new Set([4]));
    expect(hits.get("concurrent.test")).toBe(1);
  });

  it("rejects names outside the server-name grammar", async () => {
    await expect(discovery.resolve("not a name")).rejects.toBeInstanceOf(InvalidServerNameError);
  });
});

describe("well-known helpers", () => {
  it("cachePeriodMs reads max-age, no-store and Expires", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(cachePeriodMs({ "cache-control": "max-age=3600" }, now)).toBe(3_600_000);
    expect(cachePeriodMs({ "cache-control": "private, no-store" }, now)).toBe(0);
    expect(cachePeriodMs({ expires: "Wed, 01 Jan 2030 02:00:00 GMT" }, now)).toBe(2 * HOUR);
    expect(cachePeriodMs({}, now)).toBeUndefined();
  });

  it("parseWellKnown requires a 200 and a string m.server in the grammar", () => {
    expect(parseWellKnown(200, Buffer.from('{"m.server":"a.example:1"}'))).toEqual({ kind: "delegated", server: "a.example:1" });
    expect(parseWellKnown(404, Buffer.from('{"m.server":"a.example"}')).kind).toBe("invalid");
    expect(parseWellKnown(200, Buffer.from('{"m.server":5}')).kind).toBe("invalid");
    expect(parseWellKnown(200, Buffer.from('["m.server"]')).kind).toBe("invalid");
  });
});

describe("pickSrv (RFC 2782)", () => {
  const records: SrvRecord[] = [
    { name: "b.test", port: 2, priority: 20, weight: 100 },
    { name: "a1.test", port: 1, priority: 10, weight: 1 },
    { name: "a2.test", port: 1, priority: 10, weight: 3 },
  ];
  it("takes the lowest priority and picks by weight", () => {
    expect(pickSrv(records, () => 0)!.name).toBe("a1.test");
    expect(pickSrv(records, () => 0.2)!.name).toBe("a1.test");
    expect(pickSrv(records, () => 0.3)!.name).toBe("a2.test");
    expect(pickSrv(records, () => 0.99)!.name).toBe("a2.test");
  });
  it("treats '.' as no service and an empty list as none", () => {
    expect(pickSrv([{ name: ".", port: 0, priority: 0, weight: 0 }])).toBeUndefined();
    expect(pickSrv([])).toBeUndefined();
  });
});
