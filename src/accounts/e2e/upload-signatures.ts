/**
 * POST /keys/signatures/upload (client-server API "Cross-signing"): signatures the caller made
 *   - with their self-signing key, on one of their own devices (key ID = device ID);
 *   - with one of their devices, on their own master key (key ID = master public key);
 *   - with their user-signing key, on another user's master key.
 * Each uploaded object must be the signed key itself (same signed content as the key we hold,
 * for the caller's own keys) carrying the new signature, which must verify. Only signatures
 * by the caller are taken. Failures are reported per key, the rest are stored:
 * `{failures: {user: {key_id: {errcode, error}}}}`.
 *
 * Another user's master key on a remote server is not cached here; the uploaded copy is taken
 * as the signed object, which is safe because such a signature is shown only to its signer.
 */
import { canonicalJson } from "../../events/canonical-json.js";
import type { JsonObject } from "../../events/types.js";
import type { Accounts } from "../accounts.js";
import { crossSigningPublicKey } from "./cross-signing-keys.js";
import { signatureOf, verifySignature } from "./verify.js";
import { isJsonObject } from "../../json.js";

export type SignatureFailures = Record<string, Record<string, { errcode: string; error: string }>>;

interface Accepted {
  readonly targetUser: string;
  readonly targetKeyId: string;
  readonly signerKeyId: string;
  readonly signature: string;
  /** The device-list change this signature is: (user, device) or (user, null). */
  readonly change: readonly [string, string | null];
}

export async function uploadSignatures(accounts: Accounts, signer: string, body: JsonObject): Promise<SignatureFailures> {
  const failures: SignatureFailures = {};
  const accepted: Accepted[] = [];
  const fail = (user: string, keyId: string, errcode: string, error: string): void => {
    (failures[user] ??= {})[keyId] = { errcode, error };
  };

  for (const [targetUser, keysValue] of Object.entries(body)) {
    if (!isJsonObject(keysValue)) {
      fail(targetUser, "*", "M_BAD_JSON", "expected an object of key ID → signed key");
      continue;
    }
    for (const [targetKeyId, objectValue] of Object.entries(keysValue)) {
      if (!isJsonObject(objectValue)) {
        fail(targetUser, targetKeyId, "M_BAD_JSON", "expected a signed key object");
        continue;
      }
      const outcome = await checkOne(accounts, signer, targetUser, targetKeyId, objectValue);
      if ("errcode" in outcome) fail(targetUser, targetKeyId, outcome.errcode, outcome.error);
      else accepted.push(outcome);
    }
  }

  if (accepted.length > 0) {
    await accounts.storage.write((w) => {
      const changes = new Set<string>();
      for (const a of accepted) {
        accounts.signatures.add(w, a.targetUser, a.targetKeyId, signer, a.signerKeyId, a.signature);
        const key = JSON.stringify(a.change);
        if (!changes.has(key)) {
          changes.add(key);
          accounts.deviceLists.record(w, a.change[0], a.change[1]);
        }
      }
    });
    accounts.deviceLists.notify();
  }
  return failures;
}

type Outcome = Accepted | { errcode: string; error: string };

async function checkOne(accounts: Accounts, signer: string, targetUser: string, targetKeyId: string, object: JsonObject): Promise<Outcome> {
  if (targetUser === signer) {
    const deviceKeys = accounts.deviceKeys.get(signer, targetKeyId);
    if (deviceKeys !== undefined) {
      // Own device, signed by the self-signing key.
      const ssk = accounts.crossSigning.get(signer, "self_signing");
      const pub = ssk === undefined ? undefined : crossSigningPublicKey(ssk);
      if (pub === undefined) return { errcode: "M_INVALID_SIGNATURE", error: "no self-signing key to sign devices with" };
      if (!sameSignedContent(deviceKeys, object)) return { errcode: "M_INVALID_SIGNATURE", error: "the signed object differs from the device's keys" };
      return verified(accounts, signer, object, pub.keyId, pub.publicKey, targetUser, targetKeyId, [signer, targetKeyId]);
    }
    const master = accounts.crossSigning.get(signer, "master");
    const masterPub = master === undefined ? undefined : crossSigningPublicKey(master);
    if (master !== undefined && masterPub?.publicKey === targetKeyId) {
      // Own master key, signed by one of the user's devices.
      if (!sameSignedContent(master, object)) return { errcode: "M_INVALID_SIGNATURE", error: "the signed object differs from the master key" };
      const sigs = object.signatures as Record<string, Record<string, unknown>> | undefined;
      for (const keyId of Object.keys(sigs?.[signer] ?? {})) {
        if (!keyId.startsWith("ed25519:") || keyId === masterPub.keyId) continue;
        const deviceId = keyId.slice("ed25519:".length);
        const devicePub = accounts.deviceKeys.get(signer, deviceId)?.keys;
        const publicKey = isJsonObject(devicePub) ? devicePub[keyId] : undefined;
        if (typeof publicKey !== "string") continue;
        return verified(accounts, signer, object, keyId, publicKey, targetUser, targetKeyId, [signer, null]);
      }
      return { errcode: "M_INVALID_SIGNATURE", error: "no signature by one of the user's devices" };
    }
    return { errcode: "M_NOT_FOUND", error: "unknown device or key" };
  }

  // Another user's master key, signed by the caller's user-signing key.
  const usk = accounts.crossSigning.get(signer, "user_signing");
  const uskPub = usk === undefined ? undefined : crossSigningPublicKey(usk);
  if (uskPub === undefined) return { errcode: "M_INVALID_SIGNATURE", error: "no user-signing key to sign other users with" };
  if (accounts.isLocal(targetUser)) {
    const stored = accounts.crossSigning.get(targetUser, "master");
    if (stored === undefined || crossSigningPublicKey(stored)?.publicKey !== targetKeyId) {
      return { errcode: "M_NOT_FOUND", error: "not the user's master key" };
    }
    if (!sameSignedContent(stored, object)) return { errcode: "M_INVALID_SIGNATURE", error: "the signed object differs from the master key" };
  } else if (crossSigningPublicKey(object)?.publicKey !== targetKeyId || object.user_id !== targetUser) {
    return { errcode: "M_INVALID_PARAM", error: "not a master key of that user" };
  }
  return verified(accounts, signer, object, uskPub.keyId, uskPub.publicKey, targetUser, targetKeyId, [targetUser, null]);
}

async function verified(
  accounts: Accounts,
  signer: string,
  object: JsonObject,
  keyId: string,
  publicKey: string,
  targetUser: string,
  targetKeyId: string,
  change: readonly [string, string | null],
): Promise<Outcome> {
  const signature = signatureOf(object, signer, keyId);
  if (signature === undefined) return { errcode: "M_INVALID_SIGNATURE", error: `no signature by ${keyId}` };
  if (!(await verifySignature(accounts.crypto, { object, signer, keyId, publicKey }))) {
    return { errcode: "M_INVALID_SIGNATURE", error: `the signature by ${keyId} does not verify` };
  }
  return { targetUser, targetKeyId, signerKeyId: keyId, signature, change };
}

/** Same object apart from `signatures` and `unsigned` (what a signature covers). */
function sameSignedContent(a: JsonObject, b: JsonObject): boolean {
  const strip = ({ signatures: _s, unsigned: _u, ...rest }: JsonObject): JsonObject => rest;
  try {
    return canonicalJson(strip(a), false) === canonicalJson(strip(b), false);
  } catch {
    return false;
  }
}

