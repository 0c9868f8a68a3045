/**
 * The crypto pool: canonical JSON, SHA-256, ed25519 and argon2id on piscina worker threads,
 * in batches, so the main thread never does crypto in the hot path (DESIGN: "Crypto never
 * runs on the main thread in the hot path").
 *
 * Batching: a task costs a fixed overhead (message passing, scheduling; `npm run bench --
 * crypto` measures it) on top of ~55 µs per ed25519 verify, so callers submit whole batches
 * (a `/send` transaction is one task). Large batches are split into one chunk per worker so
 * that one caller can use every core.
 *
 * Backpressure: the queue is bounded (`maxQueue`). When it is full, calls fail with
 * `PoolBusyError`, which the HTTP edge turns into 503 / M_LIMIT_EXCEEDED instead of letting
 * memory grow.
 */
import { Piscina } from "piscina";
import os from "node:os";
import type { JsonObject, Pdu } from "../events/types.js";
import type { EventJson } from "../events/redaction.js";
import type { SigningKey } from "../events/signing-json.js";
import { workerScriptPath } from "./worker-path.js";
import type {
  CryptoWorkerData,
  EventSource,
  EventVerificationResult,
  HashEventsResult,
  SignedEvent,
  VerifyJsonItem,
  VerifyJsonResult,
  WireKeyMap,
} from "./pool-tasks.js";

export type { EventVerificationResult, HashEventsResult, SignedEvent, VerifyJsonResult, WireKeyMap, EventSource };

export interface CryptoPoolOptions {
  /** Worker threads; default: number of cores. */
  size?: number;
  /** Tasks allowed to wait for a worker before calls fail with PoolBusyError. */
  maxQueue?: number;
  /** Our identity, for signing in workers. Omit for a verify-only pool (bench, tools). */
  identity?: { serverName: string; key: SigningKey };
  /** argon2id cost; defaults are libsodium's "interactive" limits. */
  passwordOpsLimit?: number;
  passwordMemLimit?: number;
  /** Events per chunk below which a batch is not split across workers. */
  minChunk?: number;
}

export class PoolBusyError extends Error {
  constructor() {
    super("crypto pool queue is full");
    this.name = "PoolBusyError";
  }
}

// libsodium crypto_pwhash_OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE
const DEFAULT_OPS = 2;
const DEFAULT_MEM = 64 * 1024 * 1024;

export class CryptoPool {
  readonly size: number;
  private readonly piscina: Piscina;
  private readonly opsLimit: number;
  private readonly memLimit: number;
  private readonly minChunk: number;

  constructor(opts: CryptoPoolOptions = {}) {
    this.size = Math.max(1, opts.size ?? os.availableParallelism());
    this.opsLimit = opts.passwordOpsLimit ?? DEFAULT_OPS;
    this.memLimit = opts.passwordMemLimit ?? DEFAULT_MEM;
    this.minChunk = opts.minChunk ?? 32;
    const workerData: CryptoWorkerData | undefined = opts.identity
      ? { serverName: opts.identity.serverName, keyId: opts.identity.key.keyId, seed: opts.identity.key.secretKey.subarray(0, 32) }
      : undefined;
    this.piscina = new Piscina({
      filename: workerScriptPath("crypto-worker.js"),
      minThreads: this.size,
      maxThreads: this.size,
      maxQueue: opts.maxQueue ?? 4096,
      idleTimeout: 60_000,
      workerData,
      // Workers block in native crypto; atomics "disabled" avoids busy-waiting hand-off.
      atomics: "disabled",
    });
  }

  /** Tasks waiting for a worker. */
  get queueSize(): number {
    return this.piscina.queueSize;
  }

  get utilization(): number {
    return this.piscina.utilization;
  }

  private async run<R>(name: string, task: unknown, transferList?: ArrayBuffer[]): Promise<R> {
    try {
      return (await this.piscina.run(task, { name, transferList })) as R;
    } catch (e) {
      // Piscina: "Task queue is at limit" (queue full), "No task queue available" (maxQueue 0, all busy).
      if (e instanceof Error && /queue is at limit|no task queue available/i.test(e.message)) throw new PoolBusyError();
      throw e;
    }
  }

  /**
   * Verify hashes and signatures of PDUs ("Validating hashes and signatures on received
   * events"). `keys` must hold every key the events may need; missing ones are reported per
   * event in `missingKeys` so the caller can fetch them and retry just those.
   */
  async verifyEvents(source: EventSource, versions: readonly string[], keys: WireKeyMap): Promise<EventVerificationResult[]> {
    if (source.kind === "json") {
      // A JSON source is parsed by one worker; splitting would parse it several times. The bytes
      // are copied (a memcpy) unless the caller hands them over with `transfer`.
      const bytes = source.bytes;
      const transfer = source.transfer && isWholeBuffer(bytes) ? [bytes.buffer as ArrayBuffer] : undefined;
      const { transfer: _t, ...wire } = source;
      return this.run("verifyEvents", { source: wire, versions, keys }, transfer);
    }
    const chunks = this.chunk(source.pdus.length);
    const parts = await Promise.all(
      chunks.map(([from, to]) =>
        this.run<EventVerificationResult[]>("verifyEvents", {
          source: { kind: "objects", pdus: source.pdus.slice(from, to) },
          versions: versions.slice(from, to),
          keys,
        }),
      ),
    );
    return parts.flat();
  }

  /** Check `signer`'s signature on each object (X-Matrix requests, key responses). */
  async verifyJson(items: VerifyJsonItem[]): Promise<VerifyJsonResult[]> {
    if (items.length === 0) return [];
    return this.run("verifyJson", { items });
  }

  /** Hash and sign new events as this server (content hash → redact → sign). */
  async signEvents(events: EventJson[], versions: readonly string[]): Promise<SignedEvent[]> {
    if (events.length === 0) return [];
    return this.run("signEvents", { events, versions });
  }

  /**
   * Add this server's signature to events other servers built (send_join as the authorising
   * server of a restricted join, invites): no re-hash, other signatures kept.
   */
  async addEventSignatures(events: EventJson[], versions: readonly string[]): Promise<Pdu[]> {
    if (events.length === 0) return [];
    return this.run("addEventSignatures", { events, versions });
  }

  /** Sign JSON objects as this server (key responses, notary answers). */
  async signJson<T extends JsonObject>(objects: T[]): Promise<T[]> {
    if (objects.length === 0) return [];
    return this.run("signJsonObjects", { objects });
  }

  /** Event IDs, content-hash checks and reference hashes, without signature checks. */
  async hashEvents(events: EventJson[], versions: readonly string[]): Promise<HashEventsResult[]> {
    const chunks = this.chunk(events.length);
    const parts = await Promise.all(
      chunks.map(([from, to]) =>
        this.run<HashEventsResult[]>("hashEvents", { events: events.slice(from, to), versions: versions.slice(from, to) }),
      ),
    );
    return parts.flat();
  }

  /** argon2id (libsodium crypto_pwhash_str). */
  async hashPassword(password: string): Promise<string> {
    return this.run("hashPassword", { password, opsLimit: this.opsLimit, memLimit: this.memLimit });
  }

  async verifyPassword(password: string, hash: string): Promise<boolean> {
    return this.run("verifyPassword", { password, hash });
  }

  /** An empty task: the per-task overhead, for the bench. */
  async ping(n = 0): Promise<number> {
    return this.run("ping", n);
  }

  async close(): Promise<void> {
    await this.piscina.close({ force: true });
  }

  /** Split [0, n) into at most `size` ranges of at least `minChunk` items. */
  private chunk(n: number): [number, number][] {
    if (n === 0) return [];
    const parts = Math.max(1, Math.min(this.size, Math.floor(n / this.minChunk)));
    const per = Math.ceil(n / parts);
    const out: [number, number][] = [];
    for (let from = 0; from < n; from += per) out.push([from, Math.min(n, from + per)]);
    return out;
  }
}

function isWholeBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer);
}
