import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { decodeBase64 } from "../../src/events/base64.js";
import { checkJsonSignature } from "../../src/events/signing-json.js";
import type { JsonObject } from "../../src/events/types.js";
import { CLI_ENTRY, ensureBuilt } from "../helpers/build.js";
import { request } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

interface ServerKeys extends JsonObject {
  server_name: string;
  valid_until_ts: number;
  verify_keys: { [keyId: string]: { key: string } };
  old_verify_keys: { [keyId: string]: { key: string; expired_ts: number } };
}

describe("a server started from an empty data directory", () => {
  let dir: TempDir;
  let t: TestServer;
  let ca: Buffer;
  const oldKey = Buffer.alloc(32, 9).toString("base64").replace(/=+$/, "");

  beforeAll(async () => {
    dir = tempDir();
    t = await startTestServer({ dir, overrides: { old_signing_keys: { "ed25519:retired": { key: oldKey, expired_ts: 1_600_000_000_000 } } } });
    ca = readFileSync(join(dir.path, "tls.crt"));
  });

  afterAll(async () => {
    await t?.stop();
    dir?.cleanup();
  });

  it("generated its signing key and a certificate pair, private files owner-only", () => {
    const keyFile = readFileSync(join(dir.path, "signing.key"), "utf8");
    expect(keyFile).toMatch(/^ed25519 [a-zA-Z0-9_]+ [A-Za-z0-9+/]{43}\n$/);
    expect(statSync(join(dir.path, "signing.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.path, "tls.key")).mode & 0o777).toBe(0o600);
    expect(ca.toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(t.server.app.signingKey.keyId).toBe(`ed25519:${keyFile.split(" ")[1]}`);
  });

  it("serves its keys over TLS with a certificate for its IP, self-signed by its published key", async () => {
    const before = Date.now();
    const res = await request(`${t.federationUrl}/_matrix/key/v2/server`, { ca });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.peerCertificate?.subjectaltname).toContain("IP Address:127.0.0.1");

    const keys = res.json<ServerKeys>();
    expect(keys.server_name).toBe(t.serverName);
    const { keyId, publicKey } = t.server.app.signingKey;
    expect(keys.verify_keys).toEqual({ [keyId]: { key: expect.any(String) } });
    expect(decodeBase64(keys.verify_keys[keyId]!.key)?.equals(publicKey)).toBe(true);
    expect(keys.old_verify_keys).toEqual({ "ed25519:retired": { key: oldKey, expired_ts: 1_600_000_000_000 } });
    expect(keys.valid_until_ts).toBeGreaterThanOrEqual(before + t.config.signing_key_validity_ms - 60_000);

    // Verify with nothing but what the response itself publishes.
    const check = checkJsonSignature(keys, keys.server_name, (server, id) =>
      server === keys.server_name && keys.verify_keys[id] ? (decodeBase64(keys.verify_keys[id].key) ?? undefined) : undefined,
    );
    expect(check).toEqual({ ok: true, keyId });

    // Cached: a second fetch is byte-identical (re-signed only after half the validity).
    expect((await request(`${t.federationUrl}/_matrix/key/v2/server`, { ca })).text).toBe(res.text);
  });

  it("serves the federation version and the well-knowns", async () => {
    const version = await request(`${t.federationUrl}/_matrix/federation/v1/version`, { ca });
    expect(version.json()).toEqual({ server: { name: "Conflux", version: expect.any(String) } });
    const server = await request(`${t.federationUrl}/.well-known/matrix/server`, { ca });
    expect([server.status, server.json<{ errcode: string }>().errcode]).toEqual([404, "M_NOT_FOUND"]);
    const client = await request(`${t.federationUrl}/.well-known/matrix/client`, { ca });
    expect(client.json()).toEqual({ "m.homeserver": { base_url: t.clientUrl } });
    expect(client.headers["access-control-allow-origin"]).toBe("*");
    const unknown = await request(`${t.federationUrl}/_matrix/federation/v1/nonexistent`, { ca });
    expect([unknown.status, unknown.json<{ errcode: string }>().errcode]).toEqual([404, "M_UNRECOGNIZED"]);
    expect(unknown.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("serves the client API on its own listener with CORS", async () => {
    const versions = await request(`${t.clientUrl}/_matrix/client/versions`);
    const body = versions.json<{ versions: string[]; unstable_features: object }>();
    expect(body.versions).toContain("v1.19");
    expect(body.unstable_features).toEqual({});
    expect(versions.headers["access-control-allow-origin"]).toBe("*");
    expect((await request(`${t.clientUrl}/.well-known/matrix/client`)).json()).toEqual({ "m.homeserver": { base_url: t.clientUrl } });
    // Federation endpoints are not on the client listener.
    expect((await request(`${t.clientUrl}/_matrix/key/v2/server`)).status).toBe(404);
  });

  it("keeps its key and certificate across a restart", async () => {
    const keyId = t.server.app.signingKey.keyId;
    const port = t.server.federation.port;
    await t.stop();
    t = await startTestServer({ dir, federationPort: port });
    expect(t.server.app.signingKey.keyId).toBe(keyId);
    expect(readFileSync(join(dir.path, "tls.crt")).equals(ca)).toBe(true);
    const res = await request(`${t.federationUrl}/_matrix/key/v2/server`, { ca });
    expect(Object.keys(res.json<ServerKeys>().verify_keys)).toEqual([keyId]);
  });
});

describe("configured well-knowns", () => {
  it("serves the delegation and client base URL from the configuration", async () => {
    const t = await startTestServer({
      overrides: { well_known: { server: "matrix.example.org:443", client_base_url: "https://matrix.example.org" } },
    });
    try {
      const ca = readFileSync(t.config.tls.certificate_path);
      expect((await request(`${t.federationUrl}/.well-known/matrix/server`, { ca })).json()).toEqual({ "m.server": "matrix.example.org:443" });
      expect((await request(`${t.clientUrl}/.well-known/matrix/client`)).json()).toEqual({
        "m.homeserver": { base_url: "https://matrix.example.org" },
      });
    } finally {
      await t.stop();
    }
  });
});

describe("client listener with tls: true", () => {
  it("serves the client API over HTTPS with the same certificate and advertises an https base URL", async () => {
    const t = await startTestServer({ overrides: { listeners: { client: { tls: true } } } });
    try {
      const ca = readFileSync(t.config.tls.certificate_path);
      expect(t.clientUrl).toMatch(/^https:/);
      const versions = await request(`${t.clientUrl}/_matrix/client/versions`, { ca });
      expect(versions.status).toBe(200);
      expect((await request(`${t.clientUrl}/.well-known/matrix/client`, { ca })).json()).toEqual({ "m.homeserver": { base_url: t.clientUrl } });
    } finally {
      await t.stop();
    }
  });
});

describe("the compiled CLI", () => {
  let dir: TempDir;

  beforeAll(() => {
    ensureBuilt();
    dir = tempDir();
  });

  afterAll(() => dir?.cleanup());

  function cli(...args: string[]) {
    const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], { cwd: dir.path, encoding: "utf8", env: { ...process.env, CONFLUX_LOG_LEVEL: "warn" } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it("generates a configuration that check-config accepts and loadConfig reads back", () => {
    const output = join(dir.path, "conf", "homeserver.yaml");
    const gen = cli(
      "generate-config",
      "--server-name",
      "127.0.0.1:18448",
      "--federation-listen",
      "127.0.0.1:18448",
      "--client-listen",
      "[::1]:18008",
      "--data-dir",
      join(dir.path, "d"),
      "--output",
      output,
    );
    expect(gen.stderr).toBe("");
    expect(gen.code).toBe(0);
    expect(readFileSync(output, "utf8")).toMatch(/^# Conflux homeserver configuration/);

    const check = cli("check-config", "--config", output);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("configuration OK");
    expect(check.stdout).toContain("127.0.0.1:18448");

    const c = loadConfig(output, {});
    expect(c.listeners.client).toEqual({ host: "::1", port: 18008, tls: false });
    expect(c.data_dir).toBe(join(dir.path, "d"));

    // Refuses to overwrite without --force.
    expect(cli("generate-config", "--output", output).code).toBe(2);
    expect(cli("generate-config", "--output", output, "--force").code).toBe(0);
  });

  it("fails check-config with the offending key path and a non-zero exit", () => {
    const bad = join(dir.path, "bad.yaml");
    writeFileSync(bad, "listeners:\n  federation:\n    port: high\n  clinet: {}\n");
    const r = cli("check-config", "--config", bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("listeners.federation.port: expected number");
    expect(r.stderr).toContain("listeners.clinet: unknown key");
  });

  it("generates keys for a configuration, and treats usage errors as exit 2", () => {
    const conf = join(dir.path, "keys.yaml");
    writeFileSync(conf, `data_dir: ${JSON.stringify(join(dir.path, "keys"))}\n`);
    const r = cli("generate-keys", "--config", conf);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir.path, "keys", "signing.key"))).toBe(true);
    expect(existsSync(join(dir.path, "keys", "tls.crt"))).toBe(true);
    const forced = cli("generate-keys", "--config", conf, "--force");
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("old_signing_keys:");

    expect(cli("start", "--bogus").code).toBe(2);
    expect(cli("no-such-command").code).toBe(2);
    const help = cli("generate-config", "--help");
    expect([help.code, help.stdout.includes("--federation-listen")]).toEqual([0, true]);
  });
});
