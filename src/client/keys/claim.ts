/**
 * POST /_matrix/client/v3/keys/claim: one-time keys of local devices claimed from storage
 * (accounts/e2e/claim-keys.ts: each at most once, fallback key when out), remote ones through
 * `/user/keys/claim` on their servers (remote-keys.ts).
 */
import { z } from "zod";
import type { Accounts } from "../../accounts/accounts.js";
import { claimLocalKeys } from "../../accounts/e2e/claim-keys.js";
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import { byServer, clampTimeout, fanOut, ownEntries } from "./remote-keys.js";
import { isJsonObject } from "../../json.js";

const bodySchema = z.looseObject({
  one_time_keys: z.record(z.string(), z.record(z.string(), z.string())),
  timeout: z.number().optional(),
});

export async function claimKeys(app: App, accounts: Accounts, body: unknown): Promise<JsonObject> {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) throw Errors.badJson(parsed.error.issues[0]?.message ?? "Invalid request body");
  const request = new Map(Object.entries(parsed.data.one_time_keys).map(([u, d]) => [u, new Map(Object.entries(d))] as const));
  const remote: JsonObject = {};
  const [local, failures] = await Promise.all([
    claimLocalKeys(accounts, request),
    fanOut(
      app,
      "/_matrix/federation/v1/user/keys/claim",
      byServer(
        Object.entries(parsed.data.one_time_keys).map(([u, d]) => [u, d] as [string, Record<string, string>]),
        app.serverName,
      ),
      "one_time_keys",
      clampTimeout(parsed.data.timeout),
      (server, response) => {
        for (const [userId, devices] of ownEntries(response.one_time_keys, server)) {
          if (!request.has(userId)) continue;
          const kept: JsonObject = {};
          for (const [deviceId, keys] of Object.entries(devices)) if (isJsonObject(keys)) kept[deviceId] = keys;
          remote[userId] = kept;
        }
      },
    ),
  ]);
  return { failures, one_time_keys: { ...local, ...remote } };
}
