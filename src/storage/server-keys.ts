/**
 * Cache of remote servers' signing keys (server-server-api.md "Retrieving server keys"), one
 * row per (server, key ID), each holding the whole signed `/_matrix/key/v2/server` response it
 * came from, so this server can act as a notary (`/_matrix/key/v2/query` returns the responses
 * as the origin signed them, plus its own signature).
 *
 * The caller (the key fetcher) has already checked the response's signatures and shape; this
 * module only files it. A key listed in `verify_keys` is valid until the response's
 * `valid_until_ts`; one in `old_verify_keys` carries its `expired_ts`.
 */
import type { JsonObject } from "../events/types.js";
import { prefixRange } from "./keys.js";
import type { StoredServerKey } from "./layout.js";
import type { Store } from "./store.js";
import type { WriteBatch } from "./write-batch.js";

export interface ServerKeyRecord {
  readonly serverName: string;
  readonly keyId: string;
  /** Unpadded base64 ed25519 public key. */
  readonly publicKey: string;
  /** From `verify_keys`: the response's `valid_until_ts`. */
  readonly validUntilTs: number | undefined;
  /** From `old_verify_keys`: when the key stopped being used. */
  readonly expiredTs: number | undefined;
  readonly fetchedAt: number;
  /** The signed key response the key came from, as JSON text. */
  readonly responseJson: string;
}

export class ServerKeyStore {
  constructor(private readonly store: Store) {}

  /**
   * Files every key of a verified key response. A key already known from a more recent fetch
   * keeps its newer record.
   */
  putKeyResponse(w: WriteBatch, serverName: string, response: JsonObject, fetchedAt: number): void {
    const json = JSON.stringify(response);
    const validUntil = typeof response.valid_until_ts === "number" ? response.valid_until_ts : null;
    const put = (keyId: string, publicKey: unknown, expiredTs: number | null, validUntilTs: number | null): void => {
      if (typeof publicKey !== "string") return;
      const existing = this.store.dbs.serverKeys.get([serverName, keyId]);
      if (existing !== undefined && existing[3] > fetchedAt) return;
      const stored: StoredServerKey = [publicKey, validUntilTs, expiredTs, fetchedAt, json];
      w.put("serverKeys", [serverName, keyId], stored);
    };
    for (const [keyId, entry] of objectEntries(response.verify_keys)) put(keyId, entry.key, null, validUntil);
    const current = new Set(objectEntries(response.verify_keys).map(([keyId]) => keyId));
    for (const [keyId, entry] of objectEntries(response.old_verify_keys)) {
      // A key cannot be both current and retired; the current listing wins.
      if (current.has(keyId)) continue;
      put(keyId, entry.key, typeof entry.expired_ts === "number" ? entry.expired_ts : null, null);
    }
  }

  getKey(serverName: string, keyId: string): ServerKeyRecord | undefined {
    const s = this.store.dbs.serverKeys.get([serverName, keyId]);
    return s === undefined ? undefined : toRecord(serverName, keyId, s);
  }

  getKeys(serverName: string): ServerKeyRecord[] {
    const out: ServerKeyRecord[] = [];
    for (const { key, value } of this.store.dbs.serverKeys.getRange(prefixRange([serverName]))) {
      if (key.length === 2) out.push(toRecord(serverName, key[1], value));
    }
    return out;
  }

  /** The distinct signed responses held for a server, newest fetch first (notary serving). */
  getKeyResponses(serverName: string): JsonObject[] {
    const byJson = new Map<string, number>();
    for (const k of this.getKeys(serverName)) byJson.set(k.responseJson, Math.max(byJson.get(k.responseJson) ?? 0, k.fetchedAt));
    return [...byJson]
      .sort((a, b) => b[1] - a[1])
      .map(([json]) => JSON.parse(json) as JsonObject);
  }

  removeServer(w: WriteBatch, serverName: string): void {
    for (const key of this.store.dbs.serverKeys.getKeys(prefixRange([serverName]))) {
      if (key.length === 2) w.remove("serverKeys", key);
    }
  }
}

function toRecord(serverName: string, keyId: string, s: StoredServerKey): ServerKeyRecord {
  return {
    serverName,
    keyId,
    publicKey: s[0],
    validUntilTs: s[1] ?? undefined,
    expiredTs: s[2] ?? undefined,
    fetchedAt: s[3],
    responseJson: s[4],
  };
}

function objectEntries(value: unknown): [string, Record<string, unknown>][] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>).filter(
    (e): e is [string, Record<string, unknown>] => typeof e[1] === "object" && e[1] !== null && !Array.isArray(e[1]),
  );
}
