/**
 * Signing JSON (appendices: "Signing Details", "Checking for a Signature").
 *
 * The signed bytes are the canonical JSON of the object without `signatures` and `unsigned`.
 * These are the synchronous, inline primitives; hot paths batch the same work through the
 * crypto pool (src/crypto/pool.ts), which calls into these very functions in its workers.
 */
import sodium from "sodium-native";
import { canonicalJsonBytes } from "./canonical-json.js";
import { decodeBase64, encodeBase64 } from "./base64.js";
import type { JsonObject, Signatures } from "./types.js";

/** An ed25519 signing key: `ed25519:<version>` plus the 64-byte libsodium secret key. */
export interface SigningKey {
  /** e.g. `ed25519:a_BcDe` */
  readonly keyId: string;
  /** 64-byte libsodium secret key (seed ‖ public key). */
  readonly secretKey: Buffer;
  /** 32-byte public key. */
  readonly publicKey: Buffer;
}

export const ED25519 = "ed25519";

/** Build a signing key from a 32-byte seed (the form key files and the spec vectors use). */
export function signingKeyFromSeed(keyId: string, seed: Uint8Array): SigningKey {
  if (seed.length !== sodium.crypto_sign_SEEDBYTES) throw new Error("ed25519 seed must be 32 bytes");
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  const secretKey = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES);
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, Buffer.from(seed));
  return { keyId, secretKey, publicKey };
}

/** The bytes a signature covers: canonical JSON without `signatures` and `unsigned`. */
export function signedBytes(obj: JsonObject, strict = true): Buffer {
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  return canonicalJsonBytes(rest, strict);
}

export function signDetached(message: Uint8Array, secretKey: Buffer): string {
  const sig = Buffer.alloc(sodium.crypto_sign_BYTES);
  sodium.crypto_sign_detached(sig, Buffer.from(message.buffer, message.byteOffset, message.byteLength), secretKey);
  return encodeBase64(sig);
}

export function verifyDetached(message: Uint8Array, signatureB64: string, publicKey: Uint8Array): boolean {
  const sig = decodeBase64(signatureB64);
  if (!sig || sig.length !== sodium.crypto_sign_BYTES || publicKey.length !== sodium.crypto_sign_PUBLICKEYBYTES) {
    return false;
  }
  return sodium.crypto_sign_verify_detached(
    sig,
    Buffer.from(message.buffer, message.byteOffset, message.byteLength),
    Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength),
  );
}

/**
 * Sign `obj` as `signingName` and return a new object with the signature merged into
 * `signatures` (existing signatures and `unsigned` are kept). The input is not mutated.
 */
export function signJson<T extends JsonObject>(obj: T, signingName: string, key: SigningKey, strict = true): T {
  const signature = signDetached(signedBytes(obj, strict), key.secretKey);
  const existing = (obj.signatures ?? {}) as Signatures;
  const signatures: Signatures = { ...existing, [signingName]: { ...(existing[signingName] ?? {}), [key.keyId]: signature } };
  return { ...obj, signatures } as T;
}

/** Resolve a public key for `(serverName, keyId)`; `undefined` when unknown. */
export type PublicKeyLookup = (serverName: string, keyId: string) => Uint8Array | undefined;

export type SignatureCheck =
  | { ok: true; keyId: string }
  | { ok: false; reason: "no_signatures" | "no_known_algorithm" | "no_key" | "bad_signature"; keyId?: string };

/**
 * "Checking for a Signature": does `signingName` have a valid signature on `obj`? Every
 * signature with a known algorithm and a known key must verify; at least one must exist.
 */
export function checkJsonSignature(
  obj: JsonObject,
  signingName: string,
  lookup: PublicKeyLookup,
  strict = true,
): SignatureCheck {
  const sigs = (obj.signatures as Signatures | undefined)?.[signingName];
  if (!sigs || typeof sigs !== "object") return { ok: false, reason: "no_signatures" };
  const keyIds = Object.keys(sigs).filter((k) => k.startsWith(`${ED25519}:`));
  if (keyIds.length === 0) return { ok: false, reason: "no_known_algorithm" };
  let message: Buffer | undefined;
  let verified: string | undefined;
  for (const keyId of keyIds) {
    const pk = lookup(signingName, keyId);
    if (!pk) continue;
    message ??= signedBytes(obj, strict);
    const sig = sigs[keyId];
    if (typeof sig !== "string" || !verifyDetached(message, sig, pk)) return { ok: false, reason: "bad_signature", keyId };
    verified = keyId;
  }
  return verified ? { ok: true, keyId: verified } : { ok: false, reason: "no_key" };
}
