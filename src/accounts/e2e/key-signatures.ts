/**
 * Signatures uploaded with `/keys/signatures/upload` (client-server API "Cross-signing"):
 * a user's self-signing key on their devices, a device on its user's master key, and a user's
 * user-signing key on other users' master keys.
 *
 * Visibility: signatures made by the key's owner are public; a signature by another user's
 * user-signing key is shown only to that user ("the signatures uploaded via
 * /keys/signatures/upload that the user is allowed to see", user_keys.yaml).
 */
import type { JsonObject } from "../../events/types.js";
import { prefixRange } from "../../storage/keys.js";
import type { Store } from "../../storage/store.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import { isJsonObject } from "../../json.js";

export class KeySignatureStore {
  constructor(private readonly store: Store) {}

  add(w: WriteBatch, targetUserId: string, targetKeyId: string, signerUserId: string, signerKeyId: string, signature: string): void {
    w.put("keySignatures", [targetUserId, targetKeyId, signerUserId, signerKeyId], signature);
  }

  /**
   * `object` (a device key or cross-signing key of `targetUserId`, `targetKeyId` = device ID or
   * public key) with the stored signatures merged in: the owner's, plus those of `viewer`.
   */
  merge(object: JsonObject, targetUserId: string, targetKeyId: string, viewer: string | undefined): JsonObject {
    let signatures: Record<string, Record<string, string>> | undefined;
    for (const { key, value } of this.store.dbs.keySignatures.getRange(prefixRange([targetUserId, targetKeyId]))) {
      if (key.length !== 4) continue;
      const signer = key[2];
      if (signer !== targetUserId && signer !== viewer) continue;
      signatures ??= cloneSignatures(object.signatures);
      (signatures[signer] ??= {})[key[3]] = value;
    }
    return signatures === undefined ? object : { ...object, signatures };
  }

  /** Remove signatures on a device, and signatures its key made (device deleted). */
  removeDevice(w: WriteBatch, userId: string, deviceId: string): void {
    for (const key of this.store.dbs.keySignatures.getKeys(prefixRange([userId, deviceId]))) w.remove("keySignatures", key);
    const signerKeyId = `ed25519:${deviceId}`;
    for (const key of this.store.dbs.keySignatures.getKeys(prefixRange([userId]))) {
      if (key.length === 4 && key[2] === userId && key[3] === signerKeyId) w.remove("keySignatures", key);
    }
  }

  /** Remove every signature on one key (a replaced cross-signing key). */
  removeOnKey(w: WriteBatch, targetUserId: string, targetKeyId: string): void {
    for (const key of this.store.dbs.keySignatures.getKeys(prefixRange([targetUserId, targetKeyId]))) w.remove("keySignatures", key);
  }
}

function cloneSignatures(value: unknown): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  if (!isJsonObject(value)) return out;
  for (const [user, sigs] of Object.entries(value)) {
    if (isJsonObject(sigs)) out[user] = { ...(sigs as Record<string, string>) };
  }
  return out;
}
