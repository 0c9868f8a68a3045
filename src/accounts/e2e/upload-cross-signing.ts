/**
 * POST /keys/device_signing/upload (client-server API "Cross-signing"): a user's master,
 * self-signing and user-signing keys.
 *
 * Checks: every key names the caller as `user_id`, lists its usage, and has exactly one
 * `ed25519:<public key>` entry; the self-signing and user-signing keys are signed by the master
 * key (the uploaded one, else the stored one). Replacing the master key drops the old
 * self-/user-signing keys unless new ones come with it (they were signed by the old master
 * and can no longer verify) and the signatures others made on the old master.
 *
 * User-interactive auth: required to replace existing keys with different ones; the first
 * upload, and re-uploading identical keys (a client retrying), need none.
 */
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import type { Accounts } from "../accounts.js";
import { CROSS_SIGNING_USAGES, crossSigningPublicKey, type CrossSigningUsage } from "./cross-signing-keys.js";
import { crossSigningKeySchema } from "./schemas.js";
import { verifySignatures } from "./verify.js";

const FIELDS: Record<CrossSigningUsage, string> = {
  master: "master_key",
  self_signing: "self_signing_key",
  user_signing: "user_signing_key",
};

export type CrossSigningUpload = Partial<Record<CrossSigningUsage, JsonObject>>;

/** Parse and check the shape of the uploaded keys (signatures are checked by `uploadCrossSigningKeys`). */
export function parseCrossSigningUpload(userId: string, body: JsonObject): CrossSigningUpload {
  const out: CrossSigningUpload = {};
  for (const usage of CROSS_SIGNING_USAGES) {
    const field = FIELDS[usage];
    const value = body[field];
    if (value == null) continue;
    const parsed = crossSigningKeySchema.safeParse(value);
    if (!parsed.success) throw Errors.badJson(`${field}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    if (parsed.data.user_id !== userId) throw Errors.invalidParam(`${field}.user_id must be the caller's user ID`);
    if (!parsed.data.usage.includes(usage)) throw Errors.invalidParam(`${field}.usage must include "${usage}"`);
    const key = value as JsonObject;
    const pub = crossSigningPublicKey(key);
    if (pub === undefined || Buffer.from(pub.publicKey, "base64").length !== 32) {
      throw Errors.invalidParam(`${field}.keys must hold exactly one "ed25519:<public key>": "<public key>" entry`);
    }
    out[usage] = key;
  }
  return out;
}

/** Whether this upload replaces stored keys with different ones (then UIA is required). */
export function crossSigningUploadNeedsAuth(accounts: Accounts, userId: string, upload: CrossSigningUpload): boolean {
  return CROSS_SIGNING_USAGES.some((usage) => {
    const next = upload[usage];
    const stored = accounts.crossSigning.get(userId, usage);
    return next !== undefined && stored !== undefined && JSON.stringify(stored) !== JSON.stringify(next);
  });
}

export async function uploadCrossSigningKeys(accounts: Accounts, userId: string, upload: CrossSigningUpload): Promise<void> {
  const master = upload.master ?? accounts.crossSigning.get(userId, "master");
  if (master === undefined) throw Errors.invalidParam("master_key is required: this user has no master key yet");
  const masterPub = crossSigningPublicKey(master);
  if (masterPub === undefined) throw Errors.invalidParam("the stored master key is malformed");
  const signed = (["self_signing", "user_signing"] as const).filter((u) => upload[u] !== undefined);
  const ok = await verifySignatures(
    accounts.crypto,
    signed.map((u) => ({ object: upload[u]!, signer: userId, keyId: masterPub.keyId, publicKey: masterPub.publicKey })),
  );
  signed.forEach((u, i) => {
    if (!ok[i]) throw Errors.invalidParam(`${FIELDS[u]} is not signed by the master key`);
  });

  const changed = await accounts.storage.write((w) => {
    let any = false;
    const oldMaster = accounts.crossSigning.get(userId, "master");
    const oldMasterPub = oldMaster === undefined ? undefined : crossSigningPublicKey(oldMaster)?.publicKey;
    const masterReplaced = upload.master !== undefined && oldMasterPub !== undefined && oldMasterPub !== masterPub.publicKey;
    if (masterReplaced) {
      accounts.signatures.removeOnKey(w, userId, oldMasterPub);
      for (const u of ["self_signing", "user_signing"] as const) {
        if (upload[u] === undefined && accounts.crossSigning.get(userId, u) !== undefined) {
          accounts.crossSigning.remove(w, userId, u);
          any = true;
        }
      }
    }
    for (const usage of CROSS_SIGNING_USAGES) {
      const key = upload[usage];
      if (key !== undefined && accounts.crossSigning.put(w, userId, usage, key)) any = true;
    }
    if (any) accounts.deviceLists.record(w, userId, null);
    return any;
  });
  if (changed) accounts.deviceLists.notify();
}
