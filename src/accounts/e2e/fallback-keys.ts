/**
 * Fallback keys (client-server API "One-time and fallback keys", v1.2): one per device and
 * algorithm. Uploading a new one replaces the old; a claim that finds no one-time key returns
 * the fallback key and marks it used (it stays claimable: handing it out again is the point of
 * a fallback). Re-uploading the identical key keeps its `used` flag, so /sync keeps telling
 * the client to rotate it.
 */
import type { JsonValue } from "../../events/types.js";
import { prefixRange } from "../../storage/keys.js";
import type { Store } from "../../storage/store.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import type { ClaimedKey } from "./one-time-keys.js";

export class FallbackKeyStore {
  constructor(private readonly store: Store) {}

  set(w: WriteBatch, userId: string, deviceId: string, algorithm: string, keyId: string, key: JsonValue): void {
    const json = JSON.stringify(key);
    const existing = w.read("fallbackKeys", [userId, deviceId, algorithm]);
    if (existing !== undefined && existing[0] === keyId && existing[1] === json) return;
    w.put("fallbackKeys", [userId, deviceId, algorithm], [keyId, json, false]);
  }

  /** The fallback key of `algorithm`, marked used; `undefined` if the device has none. */
  claim(w: WriteBatch, userId: string, deviceId: string, algorithm: string): ClaimedKey | undefined {
    const s = w.read("fallbackKeys", [userId, deviceId, algorithm]);
    if (s === undefined) return undefined;
    if (!s[2]) w.put("fallbackKeys", [userId, deviceId, algorithm], [s[0], s[1], true]);
    return { keyName: `${algorithm}:${s[0]}`, key: JSON.parse(s[1]) as JsonValue };
  }

  /** Algorithms with an unused fallback key (/sync `device_unused_fallback_key_types`). */
  unusedTypes(userId: string, deviceId: string): string[] {
    const out: string[] = [];
    for (const { key, value } of this.store.dbs.fallbackKeys.getRange(prefixRange([userId, deviceId]))) {
      if (key.length === 3 && !value[2]) out.push(key[2]);
    }
    return out;
  }

  removeDevice(w: WriteBatch, userId: string, deviceId: string): void {
    for (const key of this.store.dbs.fallbackKeys.getKeys(prefixRange([userId, deviceId]))) w.remove("fallbackKeys", key);
  }
}
