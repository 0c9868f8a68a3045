/**
 * "Checking for a signature" (appendices "Signing JSON") for end-to-end key objects: does
 * `object` carry a valid signature by `signer` with the one key `keyId` (`ed25519:<id>`) whose
 * public key is `publicKey`? Runs in the crypto pool, several objects per task.
 */
import { decodeBase64 } from "../../events/base64.js";
import type { JsonObject } from "../../events/types.js";
import type { AccountsCrypto } from "../accounts.js";

export interface SignatureQuery {
  readonly object: JsonObject;
  readonly signer: string;
  readonly keyId: string;
  /** Unpadded base64 ed25519 public key. */
  readonly publicKey: string;
}

/** One boolean per query, in order. */
export async function verifySignatures(crypto: AccountsCrypto, queries: readonly SignatureQuery[]): Promise<boolean[]> {
  const results = queries.map(() => false);
  const items: { object: JsonObject; signer: string; keys: Record<string, Uint8Array> }[] = [];
  const positions: number[] = [];
  queries.forEach((q, i) => {
    const pk = decodeBase64(q.publicKey);
    if (!pk || pk.length !== 32 || typeof signatureOf(q.object, q.signer, q.keyId) !== "string") return;
    items.push({ object: q.object, signer: q.signer, keys: { [q.keyId]: pk } });
    positions.push(i);
  });
  if (items.length === 0) return results;
  const checked = await crypto.verifyJson(items);
  checked.forEach((r, j) => (results[positions[j]!] = r.ok));
  return results;
}

export async function verifySignature(crypto: AccountsCrypto, query: SignatureQuery): Promise<boolean> {
  return (await verifySignatures(crypto, [query]))[0]!;
}

/** `object.signatures[signer][keyId]` if it is a string. */
export function signatureOf(object: JsonObject, signer: string, keyId: string): string | undefined {
  const sigs = object.signatures;
  if (typeof sigs !== "object" || sigs === null || Array.isArray(sigs)) return undefined;
  const bySigner = (sigs as Record<string, unknown>)[signer];
  if (typeof bySigner !== "object" || bySigner === null || Array.isArray(bySigner)) return undefined;
  const sig = (bySigner as Record<string, unknown>)[keyId];
  return typeof sig === "string" ? sig : undefined;
}
