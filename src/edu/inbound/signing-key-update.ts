/**
 * m.signing_key_update (server-server-api.md "End-to-End Encryption"): a user of the sending
 * server changed their master and/or self-signing key. Each key must be a cross-signing key
 * of that user with the matching usage.
 */
import { crossSigningKeyOf } from "../device-list-resync.js";
import { isOriginUser, sharesARoom, type EduHandler } from "./context.js";

export const handleSigningKeyUpdate: EduHandler = (ctx, content) => {
  const userId = content.user_id;
  if (!isOriginUser(ctx, userId) || !sharesARoom(ctx.storage, userId)) return undefined;
  const master = content.master_key;
  const selfSigning = content.self_signing_key;
  if (master !== undefined && !crossSigningKeyOf(master, userId, "master")) return undefined;
  if (selfSigning !== undefined && !crossSigningKeyOf(selfSigning, userId, "self_signing")) return undefined;
  if (master === undefined && selfSigning === undefined) return undefined;
  return ctx.edu.deviceLists.putCrossSigningKeys(userId, {
    ...(master !== undefined ? { master } : {}),
    ...(selfSigning !== undefined ? { selfSigning } : {}),
  });
};
