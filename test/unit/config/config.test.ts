import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import {
  CONFIG_DOCS,
  ConfigError,
  defaultConfig,
  defaultConfigFile,
  ENV_OVERRIDES,
  loadConfig,
  parseConfig,
  renderConfigYaml,
} from "../../../src/config.js";
import { REPO_ROOT } from "../../helpers/build.js";
import { tempDir } from "../../helpers/temp.js";

const dir = tempDir();
afterAll(() => dir.cleanup());

function issues(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  it("match the documented defaults", () => {
    const c = defaultConfig({}, "/srv/conflux");
    expect(c.server_name).toBe("127.0.0.1:8448");
    expect(c.listeners.federation).toEqual({ host: "127.0.0.1", port: 8448 });
    expect(c.listeners.client).toEqual({ host: "127.0.0.1", port: 8008, tls: false });
    expect(c.listeners.metrics.enabled).toBe(false);
    expect(c.data_dir).toBe("/srv/conflux/data");
    expect(c.signing_key_path).toBe("/srv/conflux/data/signing.key");
    expect(c.tls).toEqual({ certificate_path: "/srv/conflux/data/tls.crt", private_key_path: "/srv/conflux/data/tls.key" });
    expect(c.signing_key_validity_ms).toBe(24 * 3_600_000);
    expect(c.limits.max_request_body_bytes).toBe(1024 * 1024);
    expect(c.limits.max_transaction_body_bytes).toBeGreaterThan(50 * 65536);
    expect(c.pool.size).toBe(availableParallelism());
    expect(c.federation).toEqual({ verify_tls: true, trusted_ca_paths: [], retry_max_ms: 3_600_000, omit_members_on_join: false, trusted_key_servers: [] });
    expect(c.registration.open).toBe(false);
    expect(c.room.default_version).toBe("12");
    expect(c.well_known).toEqual({});
    expect(c.log_level).toBe("info");
  });

  it("resolves relative paths against data_dir and keeps absolute ones", () => {
    const c = defaultConfig(
      {
        data_dir: "state",
        signing_key_path: "/etc/conflux/key",
        tls: { certificate_path: "certs/c.pem" },
        federation: { trusted_ca_paths: ["peer.crt", "/abs/ca.pem"] },
      },
      "/base",
    );
    expect(c.data_dir).toBe("/base/state");
    expect(c.signing_key_path).toBe("/etc/conflux/key");
    expect(c.tls.certificate_path).toBe("/base/state/certs/c.pem");
    expect(c.tls.private_key_path).toBe("/base/state/tls.key");
    expect(c.federation.trusted_ca_paths).toEqual(["/base/state/peer.crt", "/abs/ca.pem"]);
  });
});

describe("validation errors name the key", () => {
  it("rejects unknown keys at any depth", () => {
    expect(issues(() => parseConfig({ listeners: { federation: { prot: 1 } } }))).toEqual(["listeners.federation.prot: unknown key"]);
    expect(issues(() => parseConfig({ sever_name: "x" }))).toEqual(["sever_name: unknown key"]);
  });

  it("rejects wrong types and out-of-range values", () => {
    expect(issues(() => parseConfig({ listeners: { federation: { port: "8448" } } }))[0]).toMatch(
      /^listeners\.federation\.port: expected number/,
    );
    expect(issues(() => parseConfig({ listeners: { client: { port: 70000 } } }))[0]).toMatch(/^listeners\.client\.port: /);
    expect(issues(() => parseConfig({ log_level: "loud" }))[0]).toMatch(/^log_level: /);
    expect(issues(() => parseConfig({ registration: { open: "yes" } }))[0]).toMatch(/^registration\.open: expected boolean/);
    expect(issues(() => parseConfig({ signing_key_validity_ms: 60_000 }))[0]).toMatch(/^signing_key_validity_ms: /);
    expect(issues(() => parseConfig({ room: { default_version: "99" } }))[0]).toMatch(/^room\.default_version: /);
    expect(issues(() => parseConfig({ well_known: { client_base_url: "ftp://x" } }))[0]).toMatch(/^well_known\.client_base_url: /);
    expect(issues(() => parseConfig("just a string"))[0]).toMatch(/^\(root\): expected object/);
  });

  it("reports every problem at once", () => {
    expect(issues(() => parseConfig({ a: 1, limits: { client_rate_burst: -1 } }))).toHaveLength(2);
  });

  it("rejects the client listener on the federation listener's address", () => {
    const found = issues(() => parseConfig({ listeners: { federation: { port: 9000 }, client: { port: 9000 } } }));
    expect(found[0]).toMatch(/^listeners\.client\.port: same address/);
  });

  it("validates old_signing_keys", () => {
    const key = Buffer.alloc(32, 7).toString("base64").replace(/=+$/, "");
    const ok = parseConfig({ old_signing_keys: { "ed25519:old": { key, expired_ts: 1 } } });
    expect(ok.old_signing_keys).toEqual({ "ed25519:old": { key, expired_ts: 1 } });
    expect(issues(() => parseConfig({ old_signing_keys: { "rsa:x": { key, expired_ts: 1 } } }))[0]).toMatch(/^old_signing_keys\.rsa:x: /);
    expect(issues(() => parseConfig({ old_signing_keys: { "ed25519:x": { key: "abc", expired_ts: 1 } } }))[0]).toMatch(
      /^old_signing_keys\.ed25519:x\.key: /,
    );
  });
});

describe("server names", () => {
  it.each(["127.0.0.1:18448", "127.0.0.1", "[::1]:8448", "[2001:db8::1]", "example.org", "matrix.example.org:443", "localhost:8448"])(
    "accepts %s",
    (name) => {
      expect(parseConfig({ server_name: name }).server_name).toBe(name);
    },
  );

  it.each(["", "bad name", "127.0.0.1:99999", "[::1", "example.org:", "host:0", "a_b.example.org"])("rejects %j", (name) => {
    expect(issues(() => parseConfig({ server_name: name }))[0]).toMatch(/^server_name: /);
  });
});

describe("environment overrides", () => {
  it("derive one variable per scalar key, with unique names", () => {
    const names = ENV_OVERRIDES.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    expect(ENV_OVERRIDES).toContainEqual({ name: "CONFLUX_LISTENERS_FEDERATION_PORT", path: ["listeners", "federation", "port"], kind: "number" });
    expect(ENV_OVERRIDES).toContainEqual({ name: "CONFLUX_WELL_KNOWN_SERVER", path: ["well_known", "server"], kind: "string" });
    expect(names).not.toContain("CONFLUX_OLD_SIGNING_KEYS");
  });

  it("win over the file, converting numbers and booleans", () => {
    const c = parseConfig(
      { server_name: "file.example", listeners: { federation: { port: 1 } } },
      {
        env: {
          CONFLUX_SERVER_NAME: "127.0.0.1:18448",
          CONFLUX_LISTENERS_FEDERATION_PORT: "18448",
          CONFLUX_REGISTRATION_OPEN: "true",
          CONFLUX_LISTENERS_CLIENT_TLS: "1",
          CONFLUX_LIMITS_CLIENT_RATE_PER_SECOND: "0.5",
          CONFLUX_WELL_KNOWN_CLIENT_BASE_URL: "https://matrix.example.org",
          UNRELATED: "x",
        },
      },
    );
    expect(c.server_name).toBe("127.0.0.1:18448");
    expect(c.listeners.federation.port).toBe(18448);
    expect(c.registration.open).toBe(true);
    expect(c.listeners.client.tls).toBe(true);
    expect(c.limits.client_rate_per_second).toBe(0.5);
    expect(c.well_known.client_base_url).toBe("https://matrix.example.org");
  });

  it("name the variable when its value cannot be converted, and are validated like the file", () => {
    expect(issues(() => parseConfig({}, { env: { CONFLUX_LISTENERS_CLIENT_PORT: "eighty" } }))).toEqual([
      'CONFLUX_LISTENERS_CLIENT_PORT: expected a number, got "eighty"',
    ]);
    expect(issues(() => parseConfig({}, { env: { CONFLUX_FEDERATION_VERIFY_TLS: "maybe" } }))[0]).toMatch(/^CONFLUX_FEDERATION_VERIFY_TLS: /);
    expect(issues(() => parseConfig({}, { env: { CONFLUX_SERVER_NAME: "not valid!" } }))[0]).toMatch(/^server_name: /);
  });

  it("are not applied unless an environment is passed", () => {
    expect(parseConfig({}).listeners.federation.port).toBe(8448);
  });
});

describe("loadConfig", () => {
  it("reads YAML, applies env, and prefixes errors with the file", () => {
    const file = join(dir.path, "hs.yaml");
    writeFileSync(file, "server_name: example.org\nlisteners:\n  client:\n    port: 8118\n");
    const c = loadConfig(file, { CONFLUX_LISTENERS_CLIENT_HOST: "::1" });
    expect([c.server_name, c.listeners.client.port, c.listeners.client.host]).toEqual(["example.org", 8118, "::1"]);
    expect(c.data_dir).toBe(resolve("data"));

    writeFileSync(file, "listeners:\n  client:\n    porte: 1\n");
    expect(() => loadConfig(file, {})).toThrow(`${file}: invalid configuration:\n  listeners.client.porte: unknown key`);
  });

  it("treats an empty file as all defaults and reports YAML syntax errors and missing files", () => {
    const empty = join(dir.path, "empty.yaml");
    writeFileSync(empty, "");
    expect(loadConfig(empty, {}).server_name).toBe("127.0.0.1:8448");
    const broken = join(dir.path, "broken.yaml");
    writeFileSync(broken, "a: [1,\n");
    expect(issues(() => loadConfig(broken, {}))[0]).toMatch(/^YAML: /);
    expect(issues(() => loadConfig(join(dir.path, "missing.yaml"), {}))[0]).toMatch(/^cannot read: /);
  });
});

describe("renderConfigYaml", () => {
  it("round-trips and comments every key", () => {
    const file = defaultConfigFile({ server_name: "127.0.0.1:18448", well_known: { server: "example.org:443" } });
    const yaml = renderConfigYaml(file);
    expect(parseYaml(yaml)).toEqual(file);
    expect(defaultConfigFile(parseYaml(yaml) as object)).toEqual(file);
    for (const o of ENV_OVERRIDES) {
      const doc = CONFIG_DOCS[o.path.join(".")];
      expect(doc, o.path.join(".")).toBeTruthy();
      // Optional keys that are unset are not written (well_known.client_base_url here).
      const present = o.path.reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], file) !== undefined;
      if (present) expect(yaml).toContain(`# ${doc}`);
    }
  });
});

describe("README", () => {
  it("documents every key and every environment variable", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    for (const o of ENV_OVERRIDES) {
      expect(readme, o.path.join(".")).toContain(`\`${o.path.join(".")}\``);
      expect(readme, o.name).toContain(`\`${o.name}\``);
    }
    expect(readme).toContain("`old_signing_keys`");
    expect(readme).toContain("`federation.trusted_ca_paths`");
  });
});
