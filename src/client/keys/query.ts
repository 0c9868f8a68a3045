/**
 * POST /_matrix/client/v3/keys/query: device and cross-signing keys of local users from
 * storage (accounts/e2e/query-keys.ts) and of remote users from their servers
 * (remote-keys.ts). The caller's own signatures on remote master keys (user-signing) are
 * merged in, as for local ones.
 */
import { z } from "zod";
import type { Accounts } from "../../accounts/accounts.js";
import { queryLocalKeys } from "../../accounts/e2e/query-keys.js";
import { crossSigningPublicKey } from "../../accounts/e2e/cross-signing-keys.js";
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import { byServer, clampTimeout, fanOut, ownEntries, sanitiseDeviceKeys } from "./remote-keys.js";

const bodySchema = z.looseObject({
  device_keys: z.record(z.string(), z.array(z.string())),
  timeout: z.number().optional(),
});

export async function queryKeys(app: App, accounts: Accounts, viewer: string, body: unknown): Promise<JsonObject> {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) throw Errors.badJson(parsed.error.issues[0]?.message ?? "Invalid request body");
  const request = new Map(Object.entries(parsed.data.device_keys));
  const result = queryLocalKeys(accounts, request, { viewer, deviceNames: true });

  const failures = await fanOut(
    app,
    "/_matrix/federation/v1/user/keys/query",
    byServer(request, app.serverName),
    "device_keys",
    clampTimeout(parsed.data.timeout),
    (server, response) => {
      for (const [userId, devices] of ownEntries(response.device_keys, server)) {
        if (request.has(userId)) result.device_keys[userId] = sanitiseDeviceKeys(userId, devices);
      }
      for (const [userId, key] of ownEntries(response.master_keys, server)) {
        if (!request.has(userId) || key.user_id !== userId) continue;
        const pub = crossSigningPublicKey(key);
        result.master_keys[userId] = pub === undefined ? key : accounts.signatures.merge(key, userId, pub.publicKey, viewer);
      }
      for (const [userId, key] of ownEntries(response.self_signing_keys, server)) {
        if (request.has(userId) && key.user_id === userId) result.self_signing_keys[userId] = key;
      }
    },
  );
  return { failures, ...(result as unknown as JsonObject) };
}

