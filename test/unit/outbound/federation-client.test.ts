import { writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import tls, { type TLSSocket } from "node:tls";
import sodium from "sodium-native";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../../../src/config.js";
import { CryptoPool } from "../../../src/crypto/pool.js";
import { generateSelfSignedCertificate } from "../../../src/crypto/tls-cert.js";
import { authenticateRequest } from "../../../src/federation/auth/verify-request.js";
import { signingKeyFromSeed } from "../../../src/events/signing-json.js";
import type { JsonValue } from "../../../src/events/types.js";
import type { DnsResolver } from "../../../src/outbound/dns.js";
import { ServerDiscovery } from "../../../src/outbound/discovery.js";
import { RemoteError, UnreachableError } from "../../../src/outbound/errors.js";
import { FederationClient, tlsPolicyFromConfig, withQuery } from "../../../src/outbound/federation-client.js";
import type { TlsPolicy } from "../../../src/outbound/https-fetch.js";
import { WellKnownResolver } from "../../../src/outbound/well-known.js";
import { tempDir } from "../../helpers/temp.js";

const ORIGIN = "sender.test";

const dns: DnsResolver = {
  async resolveSrv() {
    return [];
  },
  async lookup(hostname) {
    if (hostname.endsWith(".test")) return [{ address: "127.0.0.1", family: 4 }];
    throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  },
};

/** Resolves once `check` holds, polling once per event-loop turn (no wall-clock waits). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  servername: string | false | null | undefined;
  contentType: string | undefined;
  body: string;
}

describe("FederationClient", () => {
  const seed = Buffer.alloc(32);
  sodium.randombytes_buf(seed);
  const key = signingKeyFromSeed("ed25519:client", seed);
  const cert = generateSelfSignedCertificate("fed.test"); // also covers 127.0.0.1
  const stranger = generateSelfSignedCertificate("stranger.test");
  const trusted: TlsPolicy = { verify: true, ca: [cert.certificatePem] };
  let pool: CryptoPool;
  let server: https.Server;
  let port: number;
  let connections = 0;
  let active = 0;
  let maxActive = 0;
  const held: (() => void)[] = [];
  const seen: Seen[] = [];

  function client(options: { tls?: TlsPolicy; perDestination?: number } = {}): FederationClient {
    const tlsPolicy = options.tls ?? trusted;
    const wellKnown = new WellKnownResolver({ resolver: dns, tls: tlsPolicy });
    return new FederationClient({
      serverName: ORIGIN,
      signingKey: key,
      discovery: new ServerDiscovery({ resolver: dns, wellKnown }),
      tls: tlsPolicy,
      ...(options.perDestination ? { maxConcurrentPerDestination: options.perDestination } : {}),
    });
  }

  beforeAll(async () => {
    pool = new CryptoPool({ size: 1 });
    server = https.createServer({ cert: cert.certificatePem, key: cert.privateKeyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const url = req.url ?? "";
        seen.push({
          method: req.method ?? "",
          url,
          host: req.headers.host,
          servername: (req.socket as TLSSocket).servername,
          contentType: req.headers["content-type"],
          body,
        });
        const send = (status: number, payload: string, headers: Record<string, string> = { "Content-Type": "application/json" }) => {
          res.writeHead(status, headers);
          res.end(payload);
        };
        if (url.startsWith("/_matrix/federation/v1/authed")) {
          // Step 1/2 discovery: the Host header is the server name the client signed for.
          authenticateRequest(
            {
              serverName: req.headers.host!,
              verifier: pool,
              keys: { getServerKeys: async (s, ids) => new Map(s === ORIGIN && ids.includes(key.keyId) ? [[key.keyId, { key: key.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER }]] : []) },
            },
            { method: req.method!, uri: url, authorization: req.headers.authorization, content: body === "" ? undefined : (JSON.parse(body) as JsonValue) },
          ).then(
            (auth) => send(200, JSON.stringify({ origin: auth.origin, key: auth.keyId })),
            (err: { status: number; body(): unknown }) => send(err.status, JSON.stringify(err.body())),
          );
        } else if (url === "/_matrix/federation/v1/forbidden") {
          send(403, JSON.stringify({ errcode: "M_FORBIDDEN", error: "no" }));
        } else if (url === "/_matrix/federation/v1/html") {
          send(200, "<html>", { "Content-Type": "text/html" });
        } else if (url === "/_matrix/federation/v1/big") {
          send(200, JSON.stringify({ pad: "x".repeat(4096) }));
        } else if (url === "/_matrix/federation/v1/big-chunked") {
          res.writeHead(200, { "Content-Type": "application/json" });
          res.write('{"pad":"');
          res.write("x".repeat(4096));
          res.end('"}');
        } else if (url === "/_matrix/federation/v1/never") {
          // never answers
        } else if (url === "/_matrix/federation/v1/held") {
          active++;
          maxActive = Math.max(maxActive, active);
          held.push(() => {
            active--;
            send(200, "{}");
          });
        } else {
          send(200, JSON.stringify({ ok: true }));
        }
      });
    });
    server.on("secureConnection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await pool.close();
  });

  it("signs requests so the receiver's X-Matrix check passes (GET and PUT with a body and a query)", async () => {
    const c = client();
    try {
      const dest = `127.0.0.1:${port}`;
      await expect(c.get(dest, "/_matrix/federation/v1/authed?x=1%202")).resolves.toEqual({ origin: ORIGIN, key: key.keyId });
      const body = { pdus: [], edus: [{ edu_type: "m.typing", content: { z: 1, a: "é" } }] };
      await expect(c.put(dest, "/_matrix/federation/v1/authed/send/1", body)).resolves.toEqual({ origin: ORIGIN, key: key.keyId });
      const put = seen.at(-1)!;
      expect(put.method).toBe("PUT");
      expect(put.contentType).toBe("application/json");
      expect(JSON.parse(put.body)).toEqual(body);
    } finally {
      c.close();
    }
  });

  it("POST/PUT send {} when no body is given (all POST/PUT bodies are JSON objects)", async () => {
    const c = client();
    try {
      await c.post(`127.0.0.1:${port}`, "/_matrix/federation/v1/authed/post");
      expect(seen.at(-1)!.body).toBe("{}");
    } finally {
      c.close();
    }
  });

  it("sends no SNI to an IP literal and Host = the server name", async () => {
    const c = client();
    try {
      await c.get(`127.0.0.1:${port}`, "/_matrix/federation/v1/plain");
      expect(seen.at(-1)!.host).toBe(`127.0.0.1:${port}`);
      expect(seen.at(-1)!.servername).toBeFalsy();
    } finally {
      c.close();
    }
  });

  it("sends SNI for a DNS name and verifies the certificate against it", async () => {
    const c = client();
    try {
      await expect(c.get(`fed.test:${port}`, "/_matrix/federation/v1/authed")).resolves.toMatchObject({ origin: ORIGIN });
      expect(seen.at(-1)!.servername).toBe("fed.test");
      expect(seen.at(-1)!.host).toBe(`fed.test:${port}`);
      // other.test resolves to the same server, whose certificate does not name it.
      await expect(c.get(`other.test:${port}`, "/_matrix/federation/v1/plain")).rejects.toBeInstanceOf(UnreachableError);
    } finally {
      c.close();
    }
  });

  it("rejects an untrusted certificate unless verification is off", async () => {
    const strict = client({ tls: { verify: true, ca: [stranger.certificatePem] } });
    const lax = client({ tls: { verify: false } });
    try {
      await expect(strict.get(`127.0.0.1:${port}`, "/_matrix/federation/v1/plain")).rejects.toThrow(/unreachable/);
      await expect(lax.get(`127.0.0.1:${port}`, "/_matrix/federation/v1/plain")).resolves.toEqual({ ok: true });
    } finally {
      strict.close();
      lax.close();
    }
  });

  it("turns error statuses into RemoteError with the errcode, and non-JSON into RemoteError", async () => {
    const c = client();
    try {
      const err = await c.get(`127.0.0.1:${port}`, "/_matrix/federation/v1/forbidden").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect(err).toMatchObject({ status: 403, errcode: "M_FORBIDDEN", body: { errcode: "M_FORBIDDEN", error: "no" }, destination: `127.0.0.1:${port}` });
      const html = await c.get(`127.0.0.1:${port}`, "/_matrix/federation/v1/html").catch((e: unknown) => e);
      expect(html).toMatchObject({ status: 200, errcode: undefined, body: "<html>" });
      expect(html).toBeInstanceOf(RemoteError);
    } finally {
      c.close();
    }
  });

  it("enforces the response size limit, declared or streamed", async () => {
    const c = client();
    try {
      for (const path of ["/_matrix/federation/v1/big", "/_matrix/federation/v1/big-chunked"]) {
        await expect(c.get(`127.0.0.1:${port}`, path, { maxResponseBytes: 1024 })).rejects.toThrow(/byte limit/);
      }
      await expect(c.get(`127.0.0.1:${port}`, "/_matrix/federation/v1/big", { maxResponseBytes: 8192 })).resolves.toHaveProperty("pad");
    } finally {
      c.close();
    }
  });

  it("fails with UnreachableError on refused connections, unknown hosts and timeouts", async () => {
    const c = client();
    try {
      const closed = https.createServer();
      await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
      const deadPort = (closed.address() as AddressInfo).port;
      await new Promise((r) => closed.close(r));
      await expect(c.get(`127.0.0.1:${deadPort}`, "/_matrix/federation/v1/plain")).rejects.toThrow(/ECONNREFUSED/);
      await expect(c.get("nowhere.invalid:1", "/_matrix/federation/v1/plain")).rejects.toBeInstanceOf(UnreachableError);
      await expect(c.get(`127.0.0.1:${port}`, "/_matrix/federation/v1/never", { timeoutMs: 200 })).rejects.toThrow(/timed out/);
      await expect(c.get("bad name", "/_matrix/federation/v1/plain")).rejects.toThrow(/not a valid server name/);
    } finally {
      c.close();
    }
  });

  it("keeps connections alive between requests to one destination", async () => {
    const c = client();
    try {
      const before = connections;
      for (let i = 0; i < 4; i++) await c.get(`127.0.0.1:${port}`, "/_matrix/federation/v1/plain");
      expect(connections - before).toBe(1);
    } finally {
      c.close();
    }
  });

  it("caps concurrent requests per destination; the rest wait their turn", async () => {
    const c = client({ perDestination: 2 });
    try {
      maxActive = 0;
      const dest = `127.0.0.1:${port}`;
      const all = Promise.all(Array.from({ length: 5 }, () => c.get(dest, "/_matrix/federation/v1/held")));
      await until(() => held.length === 2);
      expect(c.inFlight(dest)).toBe(2);
      for (let released = 0; released < 5; released++) {
        await until(() => held.length > 0);
        expect(c.inFlight(dest)).toBeLessThanOrEqual(2);
        held.shift()!();
      }
      const results = await all;
      expect(results).toHaveLength(5);
      expect(maxActive).toBe(2);
    } finally {
      c.close();
    }
  });

  it("refuses a path that does not start with '/'", async () => {
    const c = client();
    await expect(c.get(`127.0.0.1:${port}`, "_matrix/x")).rejects.toThrow(TypeError);
    c.close();
  });
});

describe("client helpers", () => {
  it("withQuery encodes keys and values, repeats arrays and skips undefined", () => {
    expect(withQuery("/p", { a: "x y", b: 2, c: undefined, v: ["1", "2"] })).toBe("/p?a=x%20y&b=2&v=1&v=2");
    expect(withQuery("/p?z=1", { a: true })).toBe("/p?z=1&a=true");
    expect(withQuery("/p", {})).toBe("/p");
  });

  it("tlsPolicyFromConfig adds trusted CAs to the default roots and honours verify_tls", () => {
    const dir = tempDir();
    try {
      const ca = generateSelfSignedCertificate("ca.test").certificatePem;
      writeFileSync(join(dir.path, "ca.pem"), ca);
      const withCa = tlsPolicyFromConfig(defaultConfig({ data_dir: dir.path, federation: { trusted_ca_paths: ["ca.pem"] } }));
      expect(withCa.verify).toBe(true);
      expect(withCa.ca).toHaveLength(tls.rootCertificates.length + 1);
      expect(String(withCa.ca!.at(-1))).toBe(ca);
      expect(tlsPolicyFromConfig(defaultConfig({ data_dir: dir.path, federation: { verify_tls: false } }))).toEqual({ verify: false });
    } finally {
      dir.cleanup();
    }
  });
});
