/**
 * `KeyRing`: remote servers' signing keys for verifying requests and events, and the fetching
 * behind the notary endpoints (server-server API "Retrieving server keys"; keys_server.yaml,
 * keys_query.yaml; rooms/fragments/v5-signing-requirements.md; checklist §3).
 *
 *   lookup(server, keyId)  sync, hot path ── memory map ── miss → LMDB (server_keys) → memory
 *   getServerKeys / ensureKeys  async ──── satisfied from the cache? done
 *                                          else one fetch per server at a time (coalesced):
 *        1. GET  /_matrix/key/v2/server on the server itself
 *             shape checked, server_name must match, self-signed by a key in its verify_keys
 *        2. still missing → POST /_matrix/key/v2/query on each configured notary, with
 *             minimum_valid_until_ts per key (v5 fragment: "MUST set"); every answer must carry
 *             both the origin's self-signature and the notary's signature
 *        3. accepted responses → LMDB, whole signed JSON kept (we serve it as a notary)
 *
 * Coalescing: while a fetch for a server runs, callers whose key IDs it covers wait for it;
 * others queue into a single follow-up fetch that starts when it ends, so a server never has
 * two fetches of ours in flight. Rate limiting ("Requesting servers should limit how
 * frequently they query"): a fetch that asked for the same key IDs less than
 * `minRefetchIntervalMs` ago is not repeated. Negative cache: a server (or notary) that failed
 * is skipped for an exponentially growing backoff.
 *
 * Key validity follows key-response.ts: verify keys until min(valid_until_ts, fetch + 7 days),
 * old keys only before their expired_ts. `lookup` answers for our own server from our own
 * key material, never the network.
 */
import type { OldVerifyKey } from "../crypto/signing-keys.js";
import type { VerifyJsonResult, WireKeyMap } from "../crypto/pool-tasks.js";
import { decodeBase64 } from "../events/base64.js";
import { isValidServerName } from "../events/ids.js";
import type { SigningKey } from "../events/signing-json.js";
import type { JsonObject, JsonValue } from "../events/types.js";
import type { ServerKey } from "../events/verify-event.js";
import { logger } from "../log.js";
import type { ServerKeyRecord, ServerKeyStore } from "../storage/server-keys.js";
import type { WriteBatch } from "../storage/write-batch.js";
import { FailureBackoff } from "./backoff.js";
import {
  oldServerKey,
  parseKeyResponse,
  verifyKeyRecord,
  verifyServerKey,
  withOriginSignaturesOnly,
  type KeyResponse,
} from "./key-response.js";
import { isJsonObject } from "../json.js";

/** The storage the ring needs (`Storage` satisfies it). */
export interface KeyCacheStorage {
  readonly serverKeys: Pick<ServerKeyStore, "putKeyResponse" | "getKeys" | "getKeyResponses">;
  write<T>(fn: (w: WriteBatch) => T): Promise<T>;
}

/** How key requests go out (`FederationClient` satisfies it). */
export interface KeyTransport {
  get<T>(destination: string, pathAndQuery: string, opts?: { timeoutMs?: number; maxResponseBytes?: number }): Promise<T>;
  post<T>(destination: string, pathAndQuery: string, body?: JsonValue, opts?: { timeoutMs?: number; maxResponseBytes?: number }): Promise<T>;
}

/** Signature checks (`CryptoPool` satisfies it). */
export interface JsonVerifier {
  verifyJson(items: { object: JsonObject; signer: string; keys: Record<string, Uint8Array> }[]): Promise<VerifyJsonResult[]>;
}

export interface NotaryServer {
  readonly serverName: string;
  /**
   * The notary's keys (keyId → unpadded base64) to check its signatures with. Without them,
   * the notary's keys are fetched from the notary itself (trust on first use, over TLS).
   */
  readonly verifyKeys?: Readonly<Record<string, string>>;
}

export interface KeyRequest {
  readonly serverName: string;
  readonly keyId: string;
  /** The key must be valid until at least this (an event's origin_server_ts, or now). */
  readonly minimumValidUntilTs: number;
}

export interface KeyRingOptions {
  /** Our server name; its keys come from `signingKey`/`oldVerifyKeys`, never the network. */
  readonly serverName: string;
  readonly signingKey: SigningKey;
  readonly oldVerifyKeys?: Readonly<Record<string, OldVerifyKey>>;
  readonly storage: KeyCacheStorage;
  readonly transport: KeyTransport;
  readonly verifier: JsonVerifier;
  readonly notaries?: readonly NotaryServer[];
  readonly now?: () => number;
  /** Do not ask a server for the same keys again within this. Default 60 s. */
  readonly minRefetchIntervalMs?: number;
  /** Backoff after a failed fetch: base (default 30 s), doubling up to max (default 1 h). */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly requestTimeoutMs?: number;
  /** Servers whose keys stay decoded in memory. Default 50 000. */
  readonly memoryServers?: number;
}

const DIRECT_MAX_BYTES = 1024 * 1024;
const NOTARY_MAX_BYTES = 8 * 1024 * 1024;
const log = logger("outbound.keys");

/** What a caller waits for: key IDs (empty = any current key) and when it is satisfied. */
interface Waiter {
  readonly criteria: ReadonlyMap<string, number>;
  readonly notaries: boolean;
  readonly satisfied: () => boolean;
}

interface Batch {
  readonly waiters: Waiter[];
  promise: Promise<void>;
}

interface FetchState {
  running: Batch | undefined;
  queued: Batch | undefined;
  /** The last fetch: when, for which key IDs, whether for "any key", whether notaries were wanted. */
  lastAttempt: { at: number; keyIds: Set<string>; any: boolean; notaries: boolean } | undefined;
}

export class KeyRing {
  readonly serverName: string;
  private readonly memory = new Map<string, Map<string, ServerKey>>();
  private readonly fetches = new Map<string, FetchState>();
  private readonly backoff: FailureBackoff;
  private readonly own = new Map<string, ServerKey>();
  private readonly now: () => number;
  private readonly notaries: readonly NotaryServer[];
  private readonly minRefetchMs: number;
  private readonly timeoutMs: number;
  private readonly memoryServers: number;

  constructor(private readonly options: KeyRingOptions) {
    this.serverName = options.serverName;
    this.now = options.now ?? Date.now;
    this.notaries = (options.notaries ?? []).filter((n) => n.serverName !== options.serverName);
    this.minRefetchMs = options.minRefetchIntervalMs ?? 60_000;
    this.timeoutMs = options.requestTimeoutMs ?? 20_000;
    this.memoryServers = options.memoryServers ?? 50_000;
    this.backoff = new FailureBackoff({
      baseMs: options.backoffBaseMs ?? 30_000,
      maxMs: options.backoffMaxMs ?? 3_600_000,
      now: this.now,
    });
    this.own.set(options.signingKey.keyId, { key: options.signingKey.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER });
    for (const [keyId, old] of Object.entries(options.oldVerifyKeys ?? {})) {
      const key = decodeBase64(old.key);
      if (key && key.length === 32 && keyId !== options.signingKey.keyId) this.own.set(keyId, oldServerKey(key, old.expired_ts));
    }
  }

  /** The cached key, if any. Synchronous: for hot paths (a `ServerKeyLookup`). */
  readonly lookup = (serverName: string, keyId: string): ServerKey | undefined => {
    if (serverName === this.serverName) return this.own.get(keyId);
    return this.serverMap(serverName).get(keyId);
  };

  /**
   * The requested keys of `serverName` after making sure, as far as the network allows, that
   * each is known and valid until `minimumValidUntilTs` (old keys: known). Keys that stayed
   * missing are absent; a returned key may still be too short-lived: callers judge
   * `validUntilTs`/`expiredTs`. With no key IDs, every key we know for the server. Never rejects
   * for network reasons.
   */
  async getServerKeys(serverName: string, keyIds: readonly string[], minimumValidUntilTs: number): Promise<Map<string, ServerKey>> {
    await this.ensure(serverName, new Map(keyIds.map((k) => [k, minimumValidUntilTs])), minimumValidUntilTs);
    const out = new Map<string, ServerKey>();
    if (keyIds.length === 0) {
      const all = serverName === this.serverName ? this.own : this.serverMap(serverName);
      for (const [k, v] of all) out.set(k, v);
      return out;
    }
    for (const keyId of keyIds) {
      const key = this.lookup(serverName, keyId);
      if (key) out.set(keyId, key);
    }
    return out;
  }

  /** Make sure every requested key is cached (see `getServerKeys`); one fetch per server. */
  async ensureKeys(requests: readonly KeyRequest[]): Promise<void> {
    const byServer = new Map<string, Map<string, number>>();
    for (const r of requests) {
      let m = byServer.get(r.serverName);
      if (!m) byServer.set(r.serverName, (m = new Map()));
      m.set(r.keyId, Math.max(m.get(r.keyId) ?? -Infinity, r.minimumValidUntilTs));
    }
    await Promise.all([...byServer].map(([server, criteria]) => this.ensure(server, criteria, Math.min(...criteria.values()))));
  }

  /** The keys a `CryptoPool.verifyEvents` batch needs, from the cache. */
  wireKeys(pairs: Iterable<{ readonly serverName: string; readonly keyId: string }>): WireKeyMap {
    const out: WireKeyMap = {};
    for (const { serverName, keyId } of pairs) {
      const key = this.lookup(serverName, keyId);
      if (key) (out[serverName] ??= {})[keyId] = key;
    }
    return out;
  }

  /**
   * Notary side (keys_query.yaml): the held responses of `serverName` for the criteria, after
   * refreshing from the server itself when the cache does not satisfy them. A cached response
   * counts while it is within half its lifetime ("Intermediate notary servers should cache a
   * response for half of its lifetime") and valid until the asked minimum. When the server
   * cannot be reached the last responses are served anyway; a server we know nothing about gives
   * `[]`. Responses carry only the origin's signatures; the caller adds its own.
   */
  async notaryResponses(serverName: string, criteria: ReadonlyMap<string, number>, minimum: number): Promise<JsonObject[]> {
    if (serverName === this.serverName || !isValidServerName(serverName)) return [];
    const fresh = (): boolean => this.notaryFresh(serverName, criteria, minimum);
    if (!fresh()) await this.schedule(serverName, { criteria, notaries: false, satisfied: fresh });
    let responses = this.options.storage.serverKeys.getKeyResponses(serverName);
    if (criteria.size > 0) responses = responses.filter((r) => [...criteria.keys()].some((k) => mentionsKey(r, k)));
    return responses.map((r) => withOriginSignaturesOnly(r, serverName));
  }

  // ---- satisfaction ----------------------------------------------------------------------

  private ensure(serverName: string, criteria: ReadonlyMap<string, number>, minimum: number): Promise<void> {
    if (serverName === this.serverName || !isValidServerName(serverName)) return Promise.resolve();
    const satisfied = (): boolean => this.verifierSatisfied(serverName, criteria, minimum);
    if (satisfied()) return Promise.resolve();
    return this.schedule(serverName, { criteria, notaries: true, satisfied });
  }

  private verifierSatisfied(serverName: string, criteria: ReadonlyMap<string, number>, minimum: number): boolean {
    const keys = this.serverMap(serverName);
    if (criteria.size === 0) {
      for (const k of keys.values()) if (k.expiredTs === undefined && k.validUntilTs >= minimum) return true;
      return false;
    }
    for (const [keyId, min] of criteria) {
      const k = keys.get(keyId);
      // Refetching cannot revive an old key, so a known one is as good as it gets.
      if (!k || (k.expiredTs === undefined && k.validUntilTs < min)) return false;
    }
    return true;
  }

  private notaryFresh(serverName: string, criteria: ReadonlyMap<string, number>, minimum: number): boolean {
    const now = this.now();
    const records = this.options.storage.serverKeys.getKeys(serverName);
    const freshVerify = (r: ServerKeyRecord, min: number): boolean =>
      r.validUntilTs !== undefined && r.validUntilTs >= min && now < r.fetchedAt + (r.validUntilTs - r.fetchedAt) / 2;
    if (criteria.size === 0) return records.some((r) => freshVerify(r, minimum));
    for (const [keyId, min] of criteria) {
      const r = records.find((x) => x.keyId === keyId);
      if (!r || (r.expiredTs === undefined && !freshVerify(r, min))) return false;
    }
    return true;
  }

  // ---- coalescing ------------------------------------------------------------------------

  private schedule(serverName: string, waiter: Waiter): Promise<void> {
    let st = this.fetches.get(serverName);
    if (!st) {
      st = { running: undefined, queued: undefined, lastAttempt: undefined };
      this.fetches.set(serverName, st);
      this.pruneFetchStates();
    }
    const state = st;
    if (state.running && covers(state.running.waiters, waiter)) return state.running.promise;
    if (!state.running && !state.queued) return this.start(serverName, state, { waiters: [waiter], promise: Promise.resolve() });
    // Something runs (or a follow-up is about to start): ride the one follow-up fetch.
    if (state.queued) {
      state.queued.waiters.push(waiter);
      return state.queued.promise;
    }
    const queued: Batch = { waiters: [waiter], promise: Promise.resolve() };
    state.queued = queued;
    queued.promise = state.running!.promise.then(() => {
      state.queued = undefined;
      return this.start(serverName, state, queued);
    });
    return queued.promise;
  }

  private start(serverName: string, st: FetchState, batch: Batch): Promise<void> {
    st.running = batch;
    batch.promise = this.run(serverName, st, batch.waiters)
      .catch((err: unknown) => log.error({ err, server_name: serverName }, "key fetch failed unexpectedly"))
      .finally(() => {
        if (st.running === batch) st.running = undefined;
      });
    return batch.promise;
  }

  private async run(serverName: string, st: FetchState, waiters: Waiter[]): Promise<void> {
    let pending = waiters.filter((w) => !w.satisfied());
    if (pending.length === 0) return;
    const now = this.now();
    const keyIds = new Set(pending.flatMap((w) => [...w.criteria.keys()]));
    const wantsAny = pending.some((w) => w.criteria.size === 0);
    const wantsNotaries = pending.some((w) => w.notaries);
    const last = st.lastAttempt;
    if (
      last &&
      now - last.at < this.minRefetchMs &&
      (!wantsAny || last.any) &&
      (!wantsNotaries || last.notaries) &&
      [...keyIds].every((k) => last.keyIds.has(k))
    ) {
      return; // asked moments ago; the answer would not differ
    }
    st.lastAttempt = { at: now, keyIds, any: wantsAny, notaries: wantsNotaries };

    if (!this.backoff.blocked(serverName)) {
      try {
        await this.fetchDirect(serverName);
        this.backoff.succeeded(serverName);
      } catch (err) {
        const retryAt = this.backoff.failed(serverName);
        log.info({ server_name: serverName, reason: (err as Error).message, retry_at: retryAt }, "direct key fetch failed");
      }
      pending = pending.filter((w) => !w.satisfied());
    }

    const viaNotary = pending.filter((w) => w.notaries);
    if (viaNotary.length === 0) return;
    const criteria = new Map<string, number>();
    for (const w of viaNotary) {
      for (const [k, min] of w.criteria) criteria.set(k, Math.max(criteria.get(k) ?? -Infinity, min));
    }
    for (const notary of this.notaries) {
      if (notary.serverName === serverName || this.backoff.blocked(notary.serverName)) continue;
      try {
        await this.fetchViaNotary(notary, serverName, criteria);
        this.backoff.succeeded(notary.serverName);
      } catch (err) {
        const retryAt = this.backoff.failed(notary.serverName);
        log.info({ server_name: serverName, notary: notary.serverName, reason: (err as Error).message, retry_at: retryAt }, "notary key query failed");
      }
      if (viaNotary.every((w) => w.satisfied())) return;
    }
  }

  // ---- fetching --------------------------------------------------------------------------

  private async fetchDirect(serverName: string): Promise<void> {
    const body = await this.options.transport.get<unknown>(serverName, "/_matrix/key/v2/server", {
      timeoutMs: this.timeoutMs,
      maxResponseBytes: DIRECT_MAX_BYTES,
    });
    const fetchedAt = this.now();
    const parsed = parseKeyResponse(body, serverName);
    if (!parsed.ok) throw new Error(`invalid key response: ${parsed.reason}`);
    const [check] = await this.options.verifier.verifyJson([
      { object: parsed.response.json, signer: serverName, keys: verifyKeyRecord(parsed.response) },
    ]);
    if (!check?.ok) throw new Error(`key response is not self-signed by its verify_keys (${check?.reason ?? "no result"})`);
    await this.store(serverName, [parsed.response], fetchedAt);
  }

  private async fetchViaNotary(notary: NotaryServer, serverName: string, criteria: ReadonlyMap<string, number>): Promise<void> {
    const notaryKeys = await this.notaryKeys(notary);
    if (Object.keys(notaryKeys).length === 0) throw new Error("no usable key for the notary");
    const query: JsonObject = {};
    for (const [keyId, min] of criteria) query[keyId] = { minimum_valid_until_ts: Math.max(0, Math.floor(min)) };
    // With no key ID there is nowhere to put a minimum: the notary then uses "now" (keys_query.yaml).
    const body = await this.options.transport.post<unknown>(
      notary.serverName,
      "/_matrix/key/v2/query",
      { server_keys: { [serverName]: query } },
      { timeoutMs: this.timeoutMs, maxResponseBytes: NOTARY_MAX_BYTES },
    );
    const fetchedAt = this.now();
    const list = isJsonObject(body) ? body.server_keys : undefined;
    if (!Array.isArray(list)) throw new Error("notary answer has no server_keys array");
    const candidates: KeyResponse[] = [];
    for (const item of list) {
      const parsed = parseKeyResponse(item, serverName);
      if (parsed.ok) candidates.push(parsed.response);
    }
    if (candidates.length === 0) return;
    const checks = await this.options.verifier.verifyJson(
      candidates.flatMap((r) => [
        { object: r.json, signer: serverName, keys: verifyKeyRecord(r) },
        { object: r.json, signer: notary.serverName, keys: notaryKeys },
      ]),
    );
    const accepted = candidates.filter((r, i) => {
      const ok = checks[2 * i]?.ok === true && checks[2 * i + 1]?.ok === true;
      if (!ok) log.warn({ server_name: serverName, notary: notary.serverName }, "notary returned a key response whose signatures do not verify");
      return ok && this.addsInformation(serverName, r);
    });
    await this.store(serverName, accepted, fetchedAt);
  }

  /** A notary's signing keys: configured, or its current verify keys fetched from itself. */
  private async notaryKeys(notary: NotaryServer): Promise<Record<string, Uint8Array>> {
    const out: Record<string, Uint8Array> = {};
    if (notary.verifyKeys) {
      for (const [keyId, b64] of Object.entries(notary.verifyKeys)) {
        const key = decodeBase64(b64);
        if (key && key.length === 32) out[keyId] = key;
      }
      return out;
    }
    const now = this.now();
    const current = (): boolean => [...this.serverMap(notary.serverName).values()].some((k) => k.expiredTs === undefined && k.validUntilTs >= now);
    if (!current()) await this.schedule(notary.serverName, { criteria: new Map(), notaries: false, satisfied: current });
    for (const [keyId, k] of this.serverMap(notary.serverName)) if (k.expiredTs === undefined && k.validUntilTs >= now) out[keyId] = k.key;
    return out;
  }

  /** A notary's copy is only kept if it tells us something: a new key or a later validity. */
  private addsInformation(serverName: string, r: KeyResponse): boolean {
    const have = new Map(this.options.storage.serverKeys.getKeys(serverName).map((x) => [x.keyId, x]));
    for (const keyId of r.verifyKeys.keys()) {
      const h = have.get(keyId);
      if (!h || (h.validUntilTs ?? -Infinity) < r.validUntilTs) return true;
    }
    for (const keyId of r.oldVerifyKeys.keys()) if (!have.has(keyId)) return true;
    return false;
  }

  private async store(serverName: string, responses: readonly KeyResponse[], fetchedAt: number): Promise<void> {
    if (responses.length === 0) return;
    const { storage } = this.options;
    await storage.write((w) => {
      for (const r of responses) storage.serverKeys.putKeyResponse(w, serverName, r.json, fetchedAt);
    });
    this.memory.delete(serverName); // reloaded from LMDB on the next lookup
  }

  // ---- memory ----------------------------------------------------------------------------

  private serverMap(serverName: string): Map<string, ServerKey> {
    let m = this.memory.get(serverName);
    if (m) return m;
    m = new Map();
    for (const r of this.options.storage.serverKeys.getKeys(serverName)) {
      const key = decodeBase64(r.publicKey);
      if (!key || key.length !== 32) continue;
      if (r.expiredTs !== undefined) m.set(r.keyId, oldServerKey(key, r.expiredTs));
      else if (r.validUntilTs !== undefined) m.set(r.keyId, verifyServerKey(key, r.validUntilTs, r.fetchedAt));
    }
    this.memory.set(serverName, m);
    if (this.memory.size > this.memoryServers) this.memory.delete(this.memory.keys().next().value as string);
    return m;
  }

  private pruneFetchStates(): void {
    if (this.fetches.size <= 10_000) return;
    const cutoff = this.now() - this.minRefetchMs;
    for (const [name, st] of this.fetches) {
      if (!st.running && !st.queued && (!st.lastAttempt || st.lastAttempt.at < cutoff)) this.fetches.delete(name);
    }
  }
}

/** Whether a running batch already asks for everything `w` needs. */
function covers(running: readonly Waiter[], w: Waiter): boolean {
  if (w.notaries && !running.some((r) => r.notaries)) return false;
  if (w.criteria.size === 0) return true; // the direct fetch brings every current key
  const asked = new Set(running.flatMap((r) => [...r.criteria.keys()]));
  return [...w.criteria.keys()].every((k) => asked.has(k));
}

function mentionsKey(response: JsonObject, keyId: string): boolean {
  const has = (v: JsonValue | undefined): boolean => isJsonObject(v) && keyId in v;
  return has(response.verify_keys) || has(response.old_verify_keys);
}
