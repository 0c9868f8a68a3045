/**
 * homeserver.yaml: schema, defaults, environment overrides, loading and rendering.
 *
 * Every object is strict: an unknown key is an error naming its path, so a typo never silently
 * falls back to a default. Relative paths resolve against `data_dir`; a relative `data_dir`
 * resolves against the working directory. Every scalar key can be overridden from the
 * environment as `CONFLUX_<PATH_IN_UPPER_SNAKE>` (e.g. `CONFLUX_LISTENERS_FEDERATION_PORT`);
 * `ENV_OVERRIDES` lists them all.
 */
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { Document, isMap, isPair, isScalar, parse as parseYaml, type YAMLMap } from "yaml";
import { z } from "zod";
import { decodeBase64 } from "./events/base64.js";
import { isValidServerName } from "./events/ids.js";
import { DEFAULT_ROOM_VERSION, isSupportedRoomVersion } from "./events/room-versions.js";

const MiB = 1024 * 1024;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const serverName = z.string().refine(isValidServerName, "not a valid server name (hostname[:port]; IP literals allowed)");
const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);
const path = z.string().min(1);
const positiveInt = z.number().int().positive();
const httpUrl = z.string().refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), "expected an http(s) URL");
const ed25519PublicKey = z.string().refine((k) => decodeBase64(k)?.length === 32, "expected an unpadded base64 ed25519 public key");

const schema = z
  .strictObject({
    server_name: serverName.default("127.0.0.1:8448"),
    data_dir: path.default("./data"),
    signing_key_path: path.default("signing.key"),
    // Spec (keys_server.yaml): publishers should avoid validity under an hour; receivers cap it at 7 days.
    signing_key_validity_ms: z.number().int().min(HOUR_MS).max(7 * DAY_MS).default(DAY_MS),
    old_signing_keys: z
      .record(
        z.string().regex(/^ed25519:[a-zA-Z0-9_]+$/, "key IDs look like ed25519:<version>"),
        z.strictObject({ key: ed25519PublicKey, expired_ts: z.number().int().nonnegative() }),
      )
      .default({}),
    tls: z
      .strictObject({
        certificate_path: path.default("tls.crt"),
        private_key_path: path.default("tls.key"),
      })
      .prefault({}),
    listeners: z
      .strictObject({
        federation: z.strictObject({ host: host.default("127.0.0.1"), port: port.default(8448) }).prefault({}),
        client: z
          .strictObject({ host: host.default("127.0.0.1"), port: port.default(8008), tls: z.boolean().default(false) })
          .prefault({}),
        metrics: z
          .strictObject({ enabled: z.boolean().default(false), host: host.default("127.0.0.1"), port: port.default(9464) })
          .prefault({}),
      })
      .prefault({}),
    pool: z
      .strictObject({
        size: positiveInt.default(availableParallelism()),
        max_queue: z.number().int().nonnegative().default(1024),
      })
      .prefault({}),
    limits: z
      .strictObject({
        max_request_body_bytes: positiveInt.default(MiB),
        // A /send transaction holds ≤50 PDUs of ≤64 KiB (3.2 MiB) plus ≤100 EDUs, which the
        // spec does not bound individually; 12 MiB leaves room for large to-device batches.
        max_transaction_body_bytes: positiveInt.default(12 * MiB),
        federation_max_concurrent_per_origin: positiveInt.default(10),
        room_mailbox_capacity: positiveInt.default(256),
        outbound_max_pending_pdus: positiveInt.default(10_000),
        outbound_max_pending_edus: positiveInt.default(2_000),
        client_rate_per_second: z.number().positive().default(10),
        client_rate_burst: positiveInt.default(50),
      })
      .prefault({}),
    shutdown_grace_ms: z.number().int().nonnegative().default(10_000),
    log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    registration: z.strictObject({ open: z.boolean().default(false) }).prefault({}),
    federation: z
      .strictObject({
        verify_tls: z.boolean().default(true),
        trusted_ca_paths: z.array(path).default([]),
        retry_max_ms: positiveInt.default(HOUR_MS),
        omit_members_on_join: z.boolean().default(false),
        trusted_key_servers: z
          .array(
            z.strictObject({
              server_name: serverName,
              verify_keys: z.record(z.string().regex(/^ed25519:[a-zA-Z0-9_]+$/, "key IDs look like ed25519:<version>"), ed25519PublicKey).optional(),
            }),
          )
          .default([]),
      })
      .prefault({}),
    well_known: z
      .strictObject({
        server: serverName.optional(),
        client_base_url: httpUrl.optional(),
      })
      .prefault({}),
    room: z
      .strictObject({
        default_version: z.string().refine(isSupportedRoomVersion, "not a supported room version").default(DEFAULT_ROOM_VERSION),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const { federation: f, client: cl } = c.listeners;
    if (f.host === cl.host && f.port === cl.port && f.port !== 0) {
      ctx.addIssue({ code: "custom", path: ["listeners", "client", "port"], message: "same address as listeners.federation" });
    }
  });

/** homeserver.yaml as written (relative paths unresolved). */
export type ConfigFile = z.output<typeof schema>;

type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
type DeepPartial<T> = T extends unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The validated configuration; every path in it is absolute. */
export type Config = DeepReadonly<ConfigFile>;
export type ConfigOverrides = DeepPartial<ConfigFile>;

export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], source?: string) {
    super(`${source ? `${source}: ` : ""}invalid configuration:\n${issues.map((i) => `  ${i}`).join("\n")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

export interface ParseOptions {
  /** Environment to take `CONFLUX_*` overrides from; none are applied when omitted. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base for a relative `data_dir`; default the working directory. */
  readonly cwd?: string;
}

/** Validate a parsed YAML value (plus environment overrides) into a `Config`. */
export function parseConfig(raw: unknown, options: ParseOptions = {}): Config {
  const input = options.env ? applyEnvOverrides(raw ?? {}, options.env) : (raw ?? {});
  const result = schema.safeParse(input);
  if (!result.success) throw new ConfigError(result.error.issues.flatMap(formatIssue));
  return resolvePaths(result.data, options.cwd ?? process.cwd());
}

/** Read and validate a YAML file, applying `CONFLUX_*` overrides from `env`. */
export function loadConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([`cannot read: ${(err as Error).message}`], file);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`YAML: ${(err as Error).message}`], file);
  }
  try {
    return parseConfig(raw, { env });
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues, file);
    throw err;
  }
}

/** The defaults, with `overrides` applied and validated (no environment overrides). */
export function defaultConfig(overrides: ConfigOverrides = {}, cwd?: string): Config {
  return parseConfig(overrides, cwd === undefined ? {} : { cwd });
}

/** The defaults as they would be written to a file (paths left relative). */
export function defaultConfigFile(overrides: ConfigOverrides = {}): ConfigFile {
  const result = schema.safeParse(overrides);
  if (!result.success) throw new ConfigError(result.error.issues.flatMap(formatIssue));
  return result.data;
}

function resolvePaths(c: ConfigFile, cwd: string): Config {
  const dataDir = resolve(cwd, c.data_dir);
  const inData = (p: string): string => (isAbsolute(p) ? p : resolve(dataDir, p));
  return {
    ...c,
    data_dir: dataDir,
    signing_key_path: inData(c.signing_key_path),
    tls: { certificate_path: inData(c.tls.certificate_path), private_key_path: inData(c.tls.private_key_path) },
    federation: { ...c.federation, trusted_ca_paths: c.federation.trusted_ca_paths.map(inData) },
  };
}

function formatIssue(issue: z.core.$ZodIssue): string[] {
  const at = issue.path.map(String).join(".");
  const join = (key: string): string => (at ? `${at}.${key}` : key);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => `${join(k)}: unknown key`);
    case "invalid_type":
      return [`${at || "(root)"}: ${issue.message.replace(/^Invalid input: /, "")}`];
    case "invalid_key":
      return [`${at}: invalid key: ${issue.issues[0]?.message ?? issue.message}`];
    default:
      return [`${at || "(root)"}: ${issue.message}`];
  }
}

// ---- Environment overrides ----

export interface EnvOverride {
  /** e.g. `CONFLUX_LISTENERS_FEDERATION_PORT` */
  readonly name: string;
  /** e.g. `["listeners", "federation", "port"]` */
  readonly path: readonly string[];
  readonly kind: "string" | "number" | "boolean";
}

/** Every scalar key of the schema, derived from it so the list can never drift. */
export const ENV_OVERRIDES: readonly EnvOverride[] = scalarLeaves(schema as unknown as SchemaNode, []);

interface SchemaNode {
  def: { type: string; innerType?: SchemaNode; shape?: Record<string, SchemaNode>; in?: SchemaNode };
}

function scalarLeaves(node: SchemaNode, at: string[]): EnvOverride[] {
  let n = node;
  while (n.def.innerType || (n.def.type === "pipe" && n.def.in)) n = n.def.innerType ?? n.def.in!;
  switch (n.def.type) {
    case "object":
      return Object.entries(n.def.shape!).flatMap(([k, v]) => scalarLeaves(v, [...at, k]));
    case "string":
    case "enum":
      return [envEntry(at, "string")];
    case "number":
      return [envEntry(at, "number")];
    case "boolean":
      return [envEntry(at, "boolean")];
    default:
      return []; // records and arrays: YAML only
  }
}

function envEntry(path: string[], kind: EnvOverride["kind"]): EnvOverride {
  return { name: `CONFLUX_${path.join("_").toUpperCase()}`, path, kind };
}

function applyEnvOverrides(raw: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return raw; // the schema reports it
  const out = structuredClone(raw) as Record<string, unknown>;
  const problems: string[] = [];
  for (const o of ENV_OVERRIDES) {
    const text = env[o.name];
    if (text === undefined) continue;
    const value = convert(text, o.kind);
    if (value === undefined) {
      problems.push(`${o.name}: expected ${o.kind === "number" ? "a number" : "true or false"}, got ${JSON.stringify(text)}`);
      continue;
    }
    let target = out;
    for (const key of o.path.slice(0, -1)) {
      const next = target[key];
      if (typeof next !== "object" || next === null || Array.isArray(next)) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[o.path[o.path.length - 1]!] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

function convert(text: string, kind: EnvOverride["kind"]): string | number | boolean | undefined {
  if (kind === "string") return text;
  if (kind === "number") {
    const n = Number(text);
    return text.trim() !== "" && Number.isFinite(n) ? n : undefined;
  }
  const t = text.trim().toLowerCase();
  if (t === "true" || t === "1" || t === "yes") return true;
  if (t === "false" || t === "0" || t === "no") return false;
  return undefined;
}

// ---- Rendering ----

/** One-line explanations written above each key by `renderConfigYaml`. */
export const CONFIG_DOCS: Readonly<Record<string, string>> = {
  server_name: "Public server name: hostname[:port]. IP literals allowed (127.0.0.1:8448). Never change it after first start.",
  data_dir: "Where keys, certificates and the database live. Relative: against the working directory.",
  signing_key_path: "ed25519 signing key (Synapse format). Relative paths here and below: against data_dir.",
  signing_key_validity_ms: "valid_until_ts of /_matrix/key/v2/server = now + this (1 hour .. 7 days).",
  old_signing_keys: "Retired keys still published as old_verify_keys: {\"ed25519:id\": {key: <base64>, expired_ts: <ms>}}.",
  tls: "Federation TLS certificate and key (PEM). Generated self-signed on first start if both are absent.",
  "tls.certificate_path": "PEM certificate (chain).",
  "tls.private_key_path": "PEM private key.",
  listeners: "Where to listen. Port 0 picks a free port.",
  "listeners.federation": "Server-server API, always HTTPS.",
  "listeners.federation.host": "Bind address.",
  "listeners.federation.port": "Bind port.",
  "listeners.client": "Client-server API, plain HTTP unless tls: true (put a reverse proxy with TLS in front).",
  "listeners.client.host": "Bind address.",
  "listeners.client.port": "Bind port.",
  "listeners.client.tls": "Serve the client API over HTTPS with the certificate above.",
  "listeners.metrics": "Prometheus metrics endpoint.",
  "listeners.metrics.enabled": "Whether to serve metrics.",
  "listeners.metrics.host": "Bind address.",
  "listeners.metrics.port": "Bind port.",
  pool: "Worker pool for hashing, signing and verification. size defaults to the number of CPU cores.",
  "pool.size": "Worker threads (default: number of CPU cores).",
  "pool.max_queue": "Tasks that may wait for a worker before callers are told to back off.",
  limits: "Request limits.",
  "limits.max_request_body_bytes": "Largest request body in bytes (413 M_TOO_LARGE above it).",
  shutdown_grace_ms:
    "On SIGTERM/SIGINT: how long in-flight requests may take to finish before listeners close anyway. Everything acknowledged is already durable.",
  "limits.max_transaction_body_bytes": "Largest federation /send transaction body in bytes.",
  "limits.federation_max_concurrent_per_origin": "Concurrent inbound federation requests per origin server.",
  "limits.room_mailbox_capacity":
    "Changes allowed to wait per room (one writer per room); beyond it requests get 429 M_LIMIT_EXCEEDED.",
  "limits.outbound_max_pending_pdus":
    "PDUs queued per destination before the queue collapses to catch-up markers (the peer then pulls the rest).",
  "limits.outbound_max_pending_edus": "EDUs queued per destination; beyond it the oldest are dropped (they are ephemeral).",
  "limits.client_rate_per_second": "Sustained client requests per second per user.",
  "limits.client_rate_burst": "Client request burst per user.",
  log_level: "fatal | error | warn | info | debug | trace | silent.",
  registration: "Account registration.",
  "registration.open": "Allow anyone to register without a token.",
  federation: "Outbound federation.",
  "federation.verify_tls": "Verify remote certificates. Only disable on isolated test networks.",
  "federation.trusted_ca_paths": "Extra PEM CA files to trust (e.g. other test servers' self-signed certificates).",
  "federation.retry_max_ms": "Longest backoff between retries to an unreachable server.",
  "federation.omit_members_on_join": "Ask for partial state on joins (omit_members on send_join).",
  "federation.trusted_key_servers":
    "Notary servers asked for a server's keys when the server itself cannot be reached: [{server_name, verify_keys: {key_id: public key}}]. Without verify_keys the notary's own keys are fetched from it over TLS.",
  well_known: "Served at /.well-known/matrix/{server,client}. Keys: server (\"host[:port]\" delegation; 404 when unset), client_base_url (default: derived from listeners.client).",
  "well_known.server": "Delegated server name for /.well-known/matrix/server.",
  "well_known.client_base_url": "m.homeserver.base_url for /.well-known/matrix/client.",
  room: "Rooms.",
  "room.default_version": "Room version for new rooms.",
};

/** Render a configuration as commented YAML (what `generate-config` writes). */
export function renderConfigYaml(config: ConfigFile | Config): string {
  const doc = new Document(config);
  doc.commentBefore = " Conflux homeserver configuration. Every key is optional; see README.md for the reference.";
  annotate(doc.contents as YAMLMap, "");
  return doc.toString({ lineWidth: 0 });
}

function annotate(map: YAMLMap, prefix: string): void {
  for (const item of map.items) {
    if (!isPair(item) || !isScalar(item.key)) continue;
    const key = `${prefix}${String(item.key.value)}`;
    const doc = CONFIG_DOCS[key];
    if (doc) item.key.commentBefore = ` ${doc}`;
    if (isMap(item.value) && key !== "old_signing_keys") annotate(item.value, `${key}.`);
  }
}
