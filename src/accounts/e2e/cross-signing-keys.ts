/**
 * Cross-signing keys (client-server API "Cross-signing", definitions/cross_signing_key.yaml):
 * a user's master, self-signing and user-signing keys, as uploaded with
 * `/keys/device_signing/upload`, stored as JSON text. Signatures added later with
 * `/keys/signatures/upload` are in key-signatures.ts.
 */
import type { JsonObject } from "../../events/types.js";
import type { Store } from "../../storage/store.js";
import type { WriteBatch } from "../../storage/write-batch.js";

export type CrossSigningUsage = "master" | "self_signing" | "user_signing";
export const CROSS_SIGNING_USAGES: readonly CrossSigningUsage[] = ["master", "self_signing", "user_signing"];

/** The one `ed25519:<public key>` entry of a cross-signing key's `keys`. */
export function crossSigningPublicKey(key: JsonObject): { keyId: string; publicKey: string } | undefined {
  const keys = key.keys;
  if (typeof keys !== "object" || keys === null || Array.isArray(keys)) return undefined;
  const entries = Object.entries(keys);
  if (entries.length !== 1) return undefined;
  const [keyId, publicKey] = entries[0]!;
  if (typeof publicKey !== "string" || keyId !== `ed25519:${publicKey}`) return undefined;
  return { keyId, publicKey };
}

export class CrossSigningKeyStore {
  constructor(private readonly store: Store) {}

  get(userId: string, usage: CrossSigningUsage): JsonObject | undefined {
    const text = this.store.dbs.crossSigningKeys.get([userId, usage]);
    return text === undefined ? undefined : (JSON.parse(text) as JsonObject);
  }

  /** The public key (unpadded base64) of one of the user's keys. */
  publicKey(userId: string, usage: CrossSigningUsage): string | undefined {
    const key = this.get(userId, usage);
    return key === undefined ? undefined : crossSigningPublicKey(key)?.publicKey;
  }

  /** Whether `id` is the public key of one of the user's cross-signing keys (device IDs must not be). */
  isKeyId(userId: string, id: string): boolean {
    return CROSS_SIGNING_USAGES.some((u) => this.publicKey(userId, u) === id);
  }

  /** Store `key`; returns false when identical to the stored one. */
  put(w: WriteBatch, userId: string, usage: CrossSigningUsage, key: JsonObject): boolean {
    const text = JSON.stringify(key);
    if (w.read("crossSigningKeys", [userId, usage]) === text) return false;
    w.put("crossSigningKeys", [userId, usage], text);
    return true;
  }

  remove(w: WriteBatch, userId: string, usage: CrossSigningUsage): void {
    w.remove("crossSigningKeys", [userId, usage]);
  }
}
