/**
 * One-time keys (client-server API "One-time and fallback keys"; server-server user_keys.yaml
 * `/user/keys/claim`): "Servers must ensure that each one-time key is returned at most once"
 * and keys are handed out "in the order that they were uploaded".
 *
 * Order: each key's storage key carries the sequence number of the upload call that brought it
 * (`[user, device, algorithm, uploadSeq, keyId]`), so the first key of a range scan is the
 * oldest. At-most-once: a claim reads the first key and removes it; range scans only see
 * committed data, so every mutation of one device's one-time keys (upload, claim) runs under
 * that device's mutex and waits for its write to commit before the next starts. Claims for
 * different devices run concurrently and share LMDB commits.
 */
import { Errors } from "../../errors.js";
import { canonicalJson } from "../../events/canonical-json.js";
import type { JsonValue } from "../../events/types.js";
import { prefixRange } from "../../storage/keys.js";
import type { Store } from "../../storage/store.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import { KeyedMutex } from "../keyed-mutex.js";

const SEQ_KEY = "otk_seq";

export interface ClaimedKey {
  /** `<algorithm>:<key_id>` as uploaded. */
  readonly keyName: string;
  readonly key: JsonValue;
}

export class OneTimeKeyStore {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly store: Store) {}

  /**
   * Run `job` with exclusive access to one device's one-time keys. `job` must finish its write
   * (await it) before returning, so the next holder reads committed data.
   */
  exclusive<T>(userId: string, deviceId: string, job: () => Promise<T>): Promise<T> {
    return this.mutex.run(`${userId}\u0000${deviceId}`, job);
  }

  /**
   * Add keys (`<algorithm>:<key_id>` → key). A key ID already present with the same key is
   * skipped; with a different key the whole upload fails with 400 M_INVALID_PARAM (the client
   * would otherwise believe the server holds a key it does not). Call inside `exclusive`.
   */
  add(w: WriteBatch, userId: string, deviceId: string, keys: ReadonlyMap<string, { algorithm: string; keyId: string; key: JsonValue }>): void {
    const seq = (w.read("accountsMeta", SEQ_KEY) ?? 0) + 1;
    let added = false;
    for (const [keyName, { algorithm, keyId, key }] of keys) {
      const existingSeq = w.read("oneTimeKeyIds", [userId, deviceId, algorithm, keyId]);
      if (existingSeq !== undefined) {
        const stored = this.store.dbs.oneTimeKeys.get([userId, deviceId, algorithm, existingSeq, keyId]);
        if (stored !== undefined && canonicalJson(JSON.parse(stored), false) === canonicalJson(key, false)) continue;
        throw Errors.invalidParam(`One-time key ${keyName} already exists with a different value`);
      }
      w.put("oneTimeKeys", [userId, deviceId, algorithm, seq, keyId], JSON.stringify(key));
      w.put("oneTimeKeyIds", [userId, deviceId, algorithm, keyId], seq);
      added = true;
    }
    if (added) w.put("accountsMeta", SEQ_KEY, seq);
  }

  /** Remove and return the oldest key of `algorithm`, if any. Call inside `exclusive`. */
  claim(w: WriteBatch, userId: string, deviceId: string, algorithm: string): ClaimedKey | undefined {
    for (const { key, value } of this.store.dbs.oneTimeKeys.getRange({ ...prefixRange([userId, deviceId, algorithm]), limit: 1 })) {
      if (key.length !== 5) continue;
      w.remove("oneTimeKeys", key);
      w.remove("oneTimeKeyIds", [userId, deviceId, algorithm, key[4]]);
      return { keyName: `${algorithm}:${key[4]}`, key: JSON.parse(value) as JsonValue };
    }
    return undefined;
  }

  /** Unclaimed keys per algorithm (`one_time_key_counts`, /sync `device_one_time_keys_count`). */
  counts(userId: string, deviceId: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const key of this.store.dbs.oneTimeKeyIds.getKeys(prefixRange([userId, deviceId]))) {
      if (key.length === 4) counts[key[2]] = (counts[key[2]] ?? 0) + 1;
    }
    return counts;
  }

  /** Drop every key of a device (device deleted). */
  removeDevice(w: WriteBatch, userId: string, deviceId: string): void {
    for (const key of this.store.dbs.oneTimeKeys.getKeys(prefixRange([userId, deviceId]))) w.remove("oneTimeKeys", key);
    for (const key of this.store.dbs.oneTimeKeyIds.getKeys(prefixRange([userId, deviceId]))) w.remove("oneTimeKeyIds", key);
  }
}
