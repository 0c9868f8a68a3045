/**
 * A server's key response (`GET /_matrix/key/v2/server`, definitions/keys.yaml), checked for
 * shape, and the `ServerKey` view the verifiers use.
 *
 * Shape rules: `server_name` must be the server we asked about; `valid_until_ts` an integer;
 * `verify_keys` an object of `{key}` (ed25519 keys we can use: 32 bytes of unpadded base64);
 * `old_verify_keys` optional `{key, expired_ts}`. Keys of other algorithms are ignored, a
 * malformed key entry is dropped, and a response with no usable verify key is rejected (it
 * cannot be self-signed). The signature checks themselves run in the crypto pool (key-fetcher).
 *
 * Validity: "Servers MUST use the lesser of this field and 7 days into the future when
 * determining if a key is valid" (keys.yaml; rooms/fragments/v5-signing-requirements.md). The
 * "future" is counted from when we fetched the response: counting from each lookup would let a
 * long `valid_until_ts` keep a revoked key alive forever, which is what the rule prevents. Keys
 * from `old_verify_keys` are valid for events before their `expired_ts` only.
 */
import { decodeBase64 } from "../events/base64.js";
import type { ServerKey } from "../events/verify-event.js";
import type { JsonObject, JsonValue } from "../events/types.js";
import { isJsonObject } from "../json.js";

export const MAX_KEY_VALIDITY_MS = 7 * 24 * 3_600_000;

const ED25519_KEY_ID = /^ed25519:[^\s"\\]{1,128}$/;

export interface KeyResponse {
  readonly serverName: string;
  readonly validUntilTs: number;
  /** keyId → 32-byte public key */
  readonly verifyKeys: ReadonlyMap<string, Uint8Array>;
  readonly oldVerifyKeys: ReadonlyMap<string, { readonly key: Uint8Array; readonly expiredTs: number }>;
  /** The response as received (signatures included). */
  readonly json: JsonObject;
}

export type KeyResponseCheck = { ok: true; response: KeyResponse } | { ok: false; reason: string };

export function parseKeyResponse(value: unknown, expectedServer: string): KeyResponseCheck {
  if (!isJsonObject(value)) return { ok: false, reason: "not a JSON object" };
  if (value.server_name !== expectedServer) return { ok: false, reason: `server_name is not ${expectedServer}` };
  const validUntil = value.valid_until_ts;
  if (typeof validUntil !== "number" || !Number.isSafeInteger(validUntil)) return { ok: false, reason: "valid_until_ts is not an integer" };
  if (!isJsonObject(value.signatures)) return { ok: false, reason: "signatures missing" };
  if (!isJsonObject(value.verify_keys)) return { ok: false, reason: "verify_keys missing" };

  const verifyKeys = new Map<string, Uint8Array>();
  for (const [keyId, entry] of Object.entries(value.verify_keys)) {
    const key = ED25519_KEY_ID.test(keyId) && isJsonObject(entry) ? publicKey(entry.key) : undefined;
    if (key) verifyKeys.set(keyId, key);
  }
  if (verifyKeys.size === 0) return { ok: false, reason: "no usable ed25519 key in verify_keys" };

  const oldVerifyKeys = new Map<string, { key: Uint8Array; expiredTs: number }>();
  if (value.old_verify_keys !== undefined) {
    if (!isJsonObject(value.old_verify_keys)) return { ok: false, reason: "old_verify_keys is not an object" };
    for (const [keyId, entry] of Object.entries(value.old_verify_keys)) {
      if (!ED25519_KEY_ID.test(keyId) || !isJsonObject(entry) || verifyKeys.has(keyId)) continue;
      const key = publicKey(entry.key);
      const expiredTs = entry.expired_ts;
      if (key && typeof expiredTs === "number" && Number.isSafeInteger(expiredTs)) oldVerifyKeys.set(keyId, { key, expiredTs });
    }
  }
  return { ok: true, response: { serverName: expectedServer, validUntilTs: validUntil, verifyKeys, oldVerifyKeys, json: value } };
}

/** A key from `verify_keys`, as the verifiers see it. */
export function verifyServerKey(key: Uint8Array, validUntilTs: number, fetchedAt: number): ServerKey {
  return { key, validUntilTs: Math.min(validUntilTs, fetchedAt + MAX_KEY_VALIDITY_MS) };
}

/** A key from `old_verify_keys`: only for events before `expiredTs`. */
export function oldServerKey(key: Uint8Array, expiredTs: number): ServerKey {
  return { key, validUntilTs: expiredTs, expiredTs };
}

/** `{keyId: bytes}` of the verify keys, the form `CryptoPool.verifyJson` takes. */
export function verifyKeyRecord(r: KeyResponse): Record<string, Uint8Array> {
  return Object.fromEntries(r.verifyKeys);
}

/** The response with only the origin's signatures (a notary adds its own to this). */
export function withOriginSignaturesOnly(json: JsonObject, serverName: string): JsonObject {
  const sigs = isJsonObject(json.signatures) ? json.signatures[serverName] : undefined;
  return { ...json, signatures: isJsonObject(sigs) ? { [serverName]: sigs } : {} };
}

function publicKey(value: JsonValue | undefined): Uint8Array | undefined {
  if (typeof value !== "string") return undefined;
  const bytes = decodeBase64(value);
  return bytes && bytes.length === 32 ? bytes : undefined;
}

