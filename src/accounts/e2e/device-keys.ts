/**
 * Device identity keys as uploaded with `/keys/upload` (client-server API "Device keys",
 * definitions/device_keys.yaml), one object per device, stored as JSON text. Cross-signing
 * signatures uploaded later live in key-signatures.ts and are merged in when served, so the
 * object here is always exactly what the device signed itself.
 */
import type { JsonObject } from "../../events/types.js";
import { prefixRange } from "../../storage/keys.js";
import type { Store } from "../../storage/store.js";
import type { WriteBatch } from "../../storage/write-batch.js";

export class DeviceKeyStore {
  constructor(private readonly store: Store) {}

  get(userId: string, deviceId: string): JsonObject | undefined {
    const text = this.store.dbs.deviceKeys.get([userId, deviceId]);
    return text === undefined ? undefined : (JSON.parse(text) as JsonObject);
  }

  /** Every device of `userId` that has uploaded keys. */
  list(userId: string): Map<string, JsonObject> {
    const out = new Map<string, JsonObject>();
    for (const { key, value } of this.store.dbs.deviceKeys.getRange(prefixRange([userId]))) {
      if (key.length === 2) out.set(key[1], JSON.parse(value) as JsonObject);
    }
    return out;
  }

  /** Store `keys`; returns false (and writes nothing) when they are identical to the stored ones. */
  put(w: WriteBatch, userId: string, deviceId: string, keys: JsonObject): boolean {
    const text = JSON.stringify(keys);
    if (w.read("deviceKeys", [userId, deviceId]) === text) return false;
    w.put("deviceKeys", [userId, deviceId], text);
    return true;
  }

  remove(w: WriteBatch, userId: string, deviceId: string): void {
    w.remove("deviceKeys", [userId, deviceId]);
  }
}
