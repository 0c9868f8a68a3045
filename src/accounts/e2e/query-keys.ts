/**
 * Device and cross-signing keys of local users, as `/keys/query` (client-server) and
 * `/user/keys/query` (server-server user_keys.yaml) return them: per device the object the
 * device uploaded plus `unsigned.device_display_name`, cross-signing signatures merged in;
 * master and self-signing keys of every queried user; the user-signing key only to its owner.
 *
 * An unknown user is left out; a known user without keys maps to `{}` (user_keys.yaml: "If
 * the homeserver could be reached, but the user or device was unknown, no failure is
 * recorded. Instead, the corresponding user or device is missing").
 *
 * Device display names go to local clients only: over federation they would tell every server
 * sharing a room what devices ("Alice's work laptop") a user owns, and the spec makes them
 * optional there.
 */
import type { JsonObject } from "../../events/types.js";
import { isJsonObject } from "../../json.js";
import type { Accounts } from "../accounts.js";
import { crossSigningPublicKey, type CrossSigningUsage } from "./cross-signing-keys.js";

export interface KeyQueryResult {
  device_keys: Record<string, Record<string, JsonObject>>;
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  user_signing_keys: Record<string, JsonObject>;
}

export interface LocalKeyQueryOptions {
  /** The local user asking (client API), `undefined` for a remote server. */
  readonly viewer: string | undefined;
  /** Add `unsigned.device_display_name`. */
  readonly deviceNames: boolean;
}

/** `request`: user ID → device IDs (empty: all devices). Non-local users are ignored. */
export function queryLocalKeys(accounts: Accounts, request: ReadonlyMap<string, readonly string[]>, opts: LocalKeyQueryOptions): KeyQueryResult {
  const result: KeyQueryResult = { device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
  for (const [userId, wanted] of request) {
    if (!accounts.isLocal(userId) || !accounts.users.exists(userId)) continue;
    const devices: Record<string, JsonObject> = {};
    const all = accounts.deviceKeys.list(userId);
    const ids = wanted.length === 0 ? [...all.keys()] : wanted;
    for (const deviceId of ids) {
      const keys = all.get(deviceId);
      if (keys === undefined) continue;
      let served = accounts.servedDeviceKeys(userId, deviceId, keys, opts.viewer);
      if (opts.deviceNames) {
        const name = accounts.devices.get(userId, deviceId)?.displayName;
        if (name != null) served = { ...served, unsigned: { ...asObject(served.unsigned), device_display_name: name } };
      }
      devices[deviceId] = served;
    }
    result.device_keys[userId] = devices;
    const master = crossSigningKey(accounts, userId, "master", opts.viewer);
    if (master) result.master_keys[userId] = master;
    const selfSigning = crossSigningKey(accounts, userId, "self_signing", opts.viewer);
    if (selfSigning) result.self_signing_keys[userId] = selfSigning;
    if (opts.viewer === userId) {
      const userSigning = crossSigningKey(accounts, userId, "user_signing", opts.viewer);
      if (userSigning) result.user_signing_keys[userId] = userSigning;
    }
  }
  return result;
}

/**
 * The master and self-signing keys of `userId` as other servers get them (`master_key`,
 * `self_signing_key` of `GET /user/devices` and of the m.signing_key_update EDU), set on `into`.
 */
export function putPublicCrossSigningKeys(accounts: Accounts, userId: string, into: JsonObject): void {
  const master = crossSigningKey(accounts, userId, "master", undefined);
  if (master) into.master_key = master;
  const selfSigning = crossSigningKey(accounts, userId, "self_signing", undefined);
  if (selfSigning) into.self_signing_key = selfSigning;
}

/** A cross-signing key with the signatures `viewer` may see merged in. */
export function crossSigningKey(accounts: Accounts, userId: string, usage: CrossSigningUsage, viewer: string | undefined): JsonObject | undefined {
  const key = accounts.crossSigning.get(userId, usage);
  if (key === undefined) return undefined;
  const pub = crossSigningPublicKey(key);
  return pub === undefined ? key : accounts.signatures.merge(key, userId, pub.publicKey, viewer);
}

function asObject(value: unknown): JsonObject {
  return isJsonObject(value) ? value : {};
}
