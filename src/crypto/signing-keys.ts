/**
 * The server's ed25519 signing key on disk, and the old keys it still publishes.
 *
 * File format (Synapse's, so keys move between implementations): one key per line,
 * `ed25519 <version> <unpadded base64 32-byte seed>`; the first line is the active key.
 * Key IDs are `ed25519:<version>` with the version matching `[a-zA-Z0-9_]+`
 * (server-server API "Publishing Keys", definitions/keys.yaml `verify_keys`).
 */
import { randomInt } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import sodium from "sodium-native";
import { decodeBase64, encodeBase64 } from "../events/base64.js";
import { ED25519, signingKeyFromSeed, type SigningKey } from "../events/signing-json.js";

export type { SigningKey };

export const KEY_VERSION_PATTERN = /^[a-zA-Z0-9_]+$/;
const VERSION_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

/** A key the server no longer signs with but still publishes in `old_verify_keys`. */
export interface OldVerifyKey {
  /** Unpadded base64 public key. */
  readonly key: string;
  /** When the key stopped being used (ms since the epoch). */
  readonly expired_ts: number;
}

/** A fresh key with a random 6-character version (`ed25519:Ab3_x9`). */
export function generateSigningKey(version: string = randomVersion()): SigningKey {
  if (!KEY_VERSION_PATTERN.test(version)) throw new Error(`invalid key version: ${version}`);
  const seed = Buffer.alloc(sodium.crypto_sign_SEEDBYTES);
  sodium.randombytes_buf(seed);
  return signingKeyFromSeed(`${ED25519}:${version}`, seed);
}

function randomVersion(): string {
  let out = "";
  for (let i = 0; i < 6; i++) out += VERSION_ALPHABET[randomInt(VERSION_ALPHABET.length)];
  return out;
}

/** Parse a key file; the first key is the active one. Throws on any malformed line. */
export function parseSigningKeyFile(text: string): SigningKey[] {
  const keys: SigningKey[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const parts = line.trim().split(/\s+/);
    const [algorithm, version, seedB64] = parts;
    if (parts.length !== 3 || algorithm !== ED25519) throw new Error(`signing key line ${i + 1}: expected "ed25519 <version> <seed>"`);
    if (!KEY_VERSION_PATTERN.test(version!)) throw new Error(`signing key line ${i + 1}: version must match [a-zA-Z0-9_]+`);
    const seed = decodeBase64(seedB64!);
    if (!seed || seed.length !== sodium.crypto_sign_SEEDBYTES) throw new Error(`signing key line ${i + 1}: seed must be 32 bytes of base64`);
    keys.push(signingKeyFromSeed(`${ED25519}:${version}`, seed));
  });
  if (keys.length === 0) throw new Error("signing key file holds no key");
  return keys;
}

export function formatSigningKeyFile(keys: readonly SigningKey[]): string {
  return keys.map((k) => `${ED25519} ${keyVersion(k.keyId)} ${encodeBase64(k.secretKey.subarray(0, 32))}\n`).join("");
}

export function keyVersion(keyId: string): string {
  return keyId.slice(keyId.indexOf(":") + 1);
}

/** Read the active (first) key of a key file. */
export function loadSigningKey(path: string): SigningKey {
  try {
    return parseSigningKeyFile(readFileSync(path, "utf8"))[0]!;
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Write a key file readable by the owner only, atomically (temp file + rename). */
export function saveSigningKey(path: string, key: SigningKey | readonly SigningKey[]): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, formatSigningKeyFile(Array.isArray(key) ? key : [key as SigningKey]), { mode: 0o600 });
  renameSync(tmp, path);
}

/** Load the key at `path`, generating and saving one first if the file does not exist. */
export function loadOrCreateSigningKey(path: string): { key: SigningKey; created: boolean } {
  if (existsSync(path)) return { key: loadSigningKey(path), created: false };
  const key = generateSigningKey();
  saveSigningKey(path, key);
  return { key, created: true };
}

/** The `old_verify_keys` entry for a key being retired now (what to paste into `old_signing_keys`). */
export function retire(key: SigningKey, expiredTs: number = Date.now()): OldVerifyKey {
  return { key: encodeBase64(key.publicKey), expired_ts: expiredTs };
}

/** Public key bytes of an old key, or `undefined` if its base64 is malformed. */
export function oldKeyBytes(old: OldVerifyKey): Buffer | undefined {
  const bytes = decodeBase64(old.key);
  return bytes && bytes.length === sodium.crypto_sign_PUBLICKEYBYTES ? bytes : undefined;
}
