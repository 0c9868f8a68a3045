/**
 * POST /keys/upload (client-server API "End-to-End Encryption" → "Key management API"):
 * device identity keys, one-time keys and fallback keys of the calling device.
 *
 * - `device_keys` must name the caller's user and device and carry the device's own signature
 *   (`signatures[user_id]["ed25519:<device_id>"]` by `keys["ed25519:<device_id>"]`): a server
 *   must not publish identity keys the device did not sign. A change is a device-list change.
 * - one-time keys: see one-time-keys.ts (ordering, duplicate key IDs, at-most-once).
 * - fallback keys replace the previous one per algorithm.
 * The response counts the device's unclaimed one-time keys per algorithm; `signed_curve25519`
 * is always present (0 when none) because clients decide whether to upload from it.
 */
import { Errors } from "../../errors.js";
import type { JsonObject, JsonValue } from "../../events/types.js";
import type { Accounts } from "../accounts.js";
import { deviceKeysSchema, keyMapSchema, splitKeyName } from "./schemas.js";
import { verifySignature } from "./verify.js";

/** Unclaimed one-time keys a device may hold; more is abuse, not end-to-end encryption. */
export const MAX_ONE_TIME_KEYS_PER_DEVICE = 10_000;

/** Longest `<algorithm>:<key_id>` accepted (real ones are ~30 characters; keys must fit LMDB). */
export const MAX_KEY_NAME_LENGTH = 255;

export interface ParsedKey {
  readonly algorithm: string;
  readonly keyId: string;
  readonly key: JsonValue;
}

export async function uploadKeys(accounts: Accounts, userId: string, deviceId: string, body: JsonObject): Promise<Record<string, number>> {
  const deviceKeys = body.device_keys == null ? undefined : await checkDeviceKeys(accounts, userId, deviceId, body.device_keys);
  const oneTimeKeys = parseKeyMap(body.one_time_keys, "one_time_keys");
  const fallbackKeys = parseKeyMap(body.fallback_keys, "fallback_keys");

  const changed = await accounts.oneTimeKeys.exclusive(userId, deviceId, () => {
    if (oneTimeKeys.size > 0) {
      const held = Object.values(accounts.oneTimeKeys.counts(userId, deviceId)).reduce((a, b) => a + b, 0);
      if (held + oneTimeKeys.size > MAX_ONE_TIME_KEYS_PER_DEVICE) {
        throw Errors.invalidParam(`A device may hold at most ${MAX_ONE_TIME_KEYS_PER_DEVICE} one-time keys`);
      }
    }
    return accounts.storage.write((w) => {
      // The device may have been deleted (logout) since the request was authenticated.
      if (w.read("devices", [userId, deviceId]) === undefined) throw Errors.unknownToken();
      let listChanged = false;
      if (deviceKeys !== undefined && accounts.deviceKeys.put(w, userId, deviceId, deviceKeys)) {
        accounts.deviceLists.record(w, userId, deviceId);
        listChanged = true;
      }
      if (oneTimeKeys.size > 0) accounts.oneTimeKeys.add(w, userId, deviceId, oneTimeKeys);
      for (const { algorithm, keyId, key } of fallbackKeys.values()) accounts.fallbackKeys.set(w, userId, deviceId, algorithm, keyId, key);
      return listChanged;
    });
  });
  if (changed) accounts.deviceLists.notify();
  return { signed_curve25519: 0, ...accounts.oneTimeKeys.counts(userId, deviceId) };
}

async function checkDeviceKeys(accounts: Accounts, userId: string, deviceId: string, value: unknown): Promise<JsonObject> {
  const parsed = deviceKeysSchema.safeParse(value);
  if (!parsed.success) throw Errors.badJson(`device_keys: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  if (parsed.data.user_id !== userId) throw Errors.invalidParam("device_keys.user_id does not match the access token's user");
  if (parsed.data.device_id !== deviceId) throw Errors.invalidParam("device_keys.device_id does not match the access token's device");
  const keyId = `ed25519:${deviceId}`;
  const publicKey = parsed.data.keys[keyId];
  if (publicKey === undefined) throw Errors.invalidParam(`device_keys.keys has no ${keyId} key`);
  const object = value as JsonObject;
  if (!(await verifySignature(accounts.crypto, { object, signer: userId, keyId, publicKey }))) {
    throw Errors.invalidParam("device_keys are not signed by the device's own ed25519 key");
  }
  return object;
}

/** `<algorithm>:<key_id>` → key maps; one entry per algorithm is kept for fallback keys by the store. */
export function parseKeyMap(value: unknown, field: string): Map<string, ParsedKey> {
  const out = new Map<string, ParsedKey>();
  if (value == null) return out;
  const parsed = keyMapSchema.safeParse(value);
  if (!parsed.success) throw Errors.badJson(`${field}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  for (const [name, key] of Object.entries(value as Record<string, JsonValue>)) {
    const split = name.length <= MAX_KEY_NAME_LENGTH ? splitKeyName(name) : undefined;
    if (!split) throw Errors.badJson(`${field}: key names look like <algorithm>:<key_id>, got ${JSON.stringify(name)}`);
    out.set(name, { ...split, key });
  }
  return out;
}
