/**
 * End-to-end key material for the accounts tests: real ed25519 keys, signed the way clients
 * sign them (appendices "Signing JSON"), for devices, one-time keys and cross-signing keys.
 */
import { randomBytes } from "node:crypto";
import { encodeBase64 } from "../../../src/events/base64.js";
import { signJson, signingKeyFromSeed, type SigningKey } from "../../../src/events/signing-json.js";
import type { JsonObject } from "../../../src/events/types.js";

export function ed25519(keyId: string): SigningKey & { readonly publicKeyB64: string } {
  const key = signingKeyFromSeed(keyId, randomBytes(32));
  return Object.assign(key, { publicKeyB64: encodeBase64(key.publicKey) });
}

export interface TestDevice {
  readonly userId: string;
  readonly deviceId: string;
  readonly key: ReturnType<typeof ed25519>;
  /** Signed device_keys as /keys/upload takes them. */
  readonly deviceKeys: JsonObject;
}

export function testDevice(userId: string, deviceId: string): TestDevice {
  const key = ed25519(`ed25519:${deviceId}`);
  const unsigned: JsonObject = {
    user_id: userId,
    device_id: deviceId,
    algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
    keys: { [`curve25519:${deviceId}`]: encodeBase64(randomBytes(32)), [`ed25519:${deviceId}`]: key.publicKeyB64 },
  };
  return { userId, deviceId, key, deviceKeys: signJson(unsigned, userId, key) };
}

/** `count` signed_curve25519 one-time keys, IDs `<prefix>0`… */
export function oneTimeKeys(device: TestDevice, count: number, prefix = "k"): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (let i = 0; i < count; i++) {
    out[`signed_curve25519:${prefix}${i}`] = signJson({ key: encodeBase64(randomBytes(32)) }, device.userId, device.key);
  }
  return out;
}

export function fallbackKey(device: TestDevice, id: string): Record<string, JsonObject> {
  return { [`signed_curve25519:${id}`]: signJson({ key: encodeBase64(randomBytes(32)), fallback: true }, device.userId, device.key) };
}

export interface CrossSigningSet {
  readonly master: ReturnType<typeof ed25519>;
  readonly selfSigning: ReturnType<typeof ed25519>;
  readonly userSigning: ReturnType<typeof ed25519>;
  readonly masterKey: JsonObject;
  readonly selfSigningKey: JsonObject;
  readonly userSigningKey: JsonObject;
}

/** A fresh master key and self-/user-signing keys signed by it. */
export function crossSigningSet(userId: string): CrossSigningSet {
  const mk = (usage: string) => {
    const seed = randomBytes(32);
    const probe = signingKeyFromSeed("x", seed);
    const pub = encodeBase64(probe.publicKey);
    const key = Object.assign(signingKeyFromSeed(`ed25519:${pub}`, seed), { publicKeyB64: pub });
    return { key, object: { user_id: userId, usage: [usage], keys: { [`ed25519:${pub}`]: pub } } as JsonObject };
  };
  const master = mk("master");
  const ssk = mk("self_signing");
  const usk = mk("user_signing");
  return {
    master: master.key,
    selfSigning: ssk.key,
    userSigning: usk.key,
    masterKey: master.object,
    selfSigningKey: signJson(ssk.object, userId, master.key),
    userSigningKey: signJson(usk.object, userId, master.key),
  };
}
