import { X509Certificate } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { certificateCovers, ensureCertificate, generateSelfSignedCertificate } from "../../../src/crypto/tls-cert.js";
import { startListener } from "../../../src/http/listener.js";
import { json } from "../../../src/http/request.js";
import { Router } from "../../../src/http/router.js";
import { request } from "../../helpers/http.js";
import { tempDir } from "../../helpers/temp.js";

const dir = tempDir();
afterAll(() => dir.cleanup());

describe("self-signed certificate", () => {
  it("names an IP-literal server by iPAddress, plus loopback and localhost", () => {
    const cert = new X509Certificate(generateSelfSignedCertificate("127.0.0.1:18448").certificatePem);
    expect(cert.subjectAltName).toBe("IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost");
    expect(cert.subject).toBe("CN=127.0.0.1");
    expect(certificateCovers(cert, "127.0.0.1:18448")).toBe(true);
    expect(cert.checkHost("localhost")).toBe("localhost");
  });

  it("names a DNS server by dNSName and an IPv6 literal by its 16 bytes", () => {
    const dns = new X509Certificate(generateSelfSignedCertificate("matrix.example.org:8448").certificatePem);
    expect(dns.subjectAltName).toContain("DNS:matrix.example.org");
    expect(dns.checkHost("matrix.example.org")).toBe("matrix.example.org");
    expect(dns.checkHost("other.example.org")).toBeUndefined();
    const v6 = new X509Certificate(generateSelfSignedCertificate("[2001:db8::1]:8448").certificatePem);
    expect(v6.subjectAltName).toContain("IP Address:2001:DB8:0:0:0:0:0:1");
    expect(v6.checkIP("2001:db8::1")).toBe("2001:db8::1");
    const mapped = new X509Certificate(generateSelfSignedCertificate("[::ffff:10.1.2.3]").certificatePem);
    expect(mapped.subjectAltName).toContain("IP Address:0:0:0:0:0:FFFF:A01:203");
  });

  it("is self-signed with ECDSA P-256 and valid for ten years from (just before) now", () => {
    const now = new Date("2030-06-01T00:00:00Z");
    const pair = generateSelfSignedCertificate("example.org", { now });
    const cert = new X509Certificate(pair.certificatePem);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(new Date(cert.validFrom).getTime()).toBe(now.getTime() - 3_600_000);
    // Crosses 2050, where RFC 5280 switches to GeneralizedTime.
    const far = new X509Certificate(generateSelfSignedCertificate("example.org", { now: new Date("2045-01-01T00:00:00Z") }).certificatePem);
    expect(new Date(far.validTo).getUTCFullYear()).toBe(2054);
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2040);
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it("loads in node:tls and verifies against itself as the trusted CA", async () => {
    const pair = generateSelfSignedCertificate("127.0.0.1:1");
    const server = tls.createServer({ cert: pair.certificatePem, key: pair.privateKeyPem }, (s) => s.end("hello"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, ca: pair.certificatePem }, () => {
          expect(socket.authorized).toBe(true);
        });
        let data = "";
        socket.on("data", (d) => (data += d));
        socket.on("end", () => resolve(data));
        socket.on("error", reject);
      });
      expect(text).toBe("hello");
    } finally {
      server.close();
    }
  });

  it("loads in a uWebSockets.js SSLApp and is accepted by an https client trusting it", async () => {
    const { created } = ensureCertificate(join(dir.path, "uws.crt"), join(dir.path, "uws.key"), "127.0.0.1:1");
    expect(created).toBe(true);
    const listener = await startListener(new Router({ cors: false, defaultBodyLimit: 1024 }).get("/", () => json({ tls: true })), {
      name: "tls",
      host: "127.0.0.1",
      port: 0,
      tls: { certificatePath: join(dir.path, "uws.crt"), privateKeyPath: join(dir.path, "uws.key") },
    });
    try {
      const res = await request(`https://127.0.0.1:${listener.port}/`, { ca: readFileSync(join(dir.path, "uws.crt")) });
      expect(res.json()).toEqual({ tls: true });
      expect(res.peerCertificate?.subjectaltname).toContain("IP Address:127.0.0.1");
    } finally {
      await listener.close(0);
    }
  });
});

describe("ensureCertificate", () => {
  it("creates a pair once (key 0600), keeps it afterwards, and refuses a half pair", () => {
    const cert = join(dir.path, "a.crt");
    const key = join(dir.path, "a.key");
    const first = ensureCertificate(cert, key, "example.org");
    expect([first.created, first.coversServerName]).toEqual([true, true]);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const pem = readFileSync(cert, "utf8");
    const again = ensureCertificate(cert, key, "example.org");
    expect(again.created).toBe(false);
    expect(readFileSync(cert, "utf8")).toBe(pem);
    expect(ensureCertificate(cert, key, "other.example.net").coversServerName).toBe(false);

    const lone = join(dir.path, "lone.crt");
    writeFileSync(lone, pem);
    expect(() => ensureCertificate(lone, join(dir.path, "lone.key"), "example.org")).toThrow(/missing/);
  });
});
