/**
 * Shapes of end-to-end key objects clients upload (client-server API "End-to-End Encryption":
 * definitions/device_keys.yaml, definitions/cross_signing_key.yaml, and the one-time/fallback
 * key maps of `/keys/upload`). Validation only: the objects are stored exactly as received,
 * since signatures cover every field, including ones we do not know.
 */
import { z } from "zod";

const signatures = z.record(z.string(), z.record(z.string(), z.string()));

export const deviceKeysSchema = z.looseObject({
  user_id: z.string(),
  device_id: z.string(),
  algorithms: z.array(z.string()),
  keys: z.record(z.string(), z.string()),
  signatures,
});

export const crossSigningKeySchema = z.looseObject({
  user_id: z.string(),
  usage: z.array(z.string()).min(1),
  keys: z.record(z.string(), z.string()),
  signatures: signatures.optional(),
});

/** A one-time or fallback key: a bare (unsigned) key string, or a signed key object. */
export const keyValueSchema = z.union([z.string(), z.looseObject({ key: z.string(), signatures: signatures.optional() })]);

/** `<algorithm>:<key_id>` → key. */
export const keyMapSchema = z.record(z.string(), keyValueSchema);

/** Split `<algorithm>:<key_id>` at its first colon; `undefined` when either part is empty. */
export function splitKeyName(name: string): { algorithm: string; keyId: string } | undefined {
  const colon = name.indexOf(":");
  if (colon <= 0 || colon === name.length - 1) return undefined;
  return { algorithm: name.slice(0, colon), keyId: name.slice(colon + 1) };
}
