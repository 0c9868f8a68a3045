/**
 * POST /_matrix/federation/v1/user/keys/query and /user/keys/claim (server-server API
 * "End-to-End Encryption", user_keys.yaml): the remote server proxies its clients' key
 * requests for our users. Users of other servers in the request are ignored ("Requested users
 * must be local to the receiving homeserver"); the claim hands each one-time key out at most
 * once (accounts/e2e/one-time-keys.ts).
 */
import { z } from "zod";
import type { Accounts } from "../../accounts/accounts.js";
import { claimLocalKeys } from "../../accounts/e2e/claim-keys.js";
import { queryLocalKeys } from "../../accounts/e2e/query-keys.js";
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";

const querySchema = z.looseObject({ device_keys: z.record(z.string(), z.array(z.string())) });
const claimSchema = z.looseObject({ one_time_keys: z.record(z.string(), z.record(z.string(), z.string())) });

export function federationKeyQuery(accounts: Accounts, body: unknown): JsonObject {
  const parsed = querySchema.safeParse(body);
  if (!parsed.success) throw Errors.badJson(parsed.error.issues[0]?.message ?? "Invalid request body");
  const result = queryLocalKeys(accounts, new Map(Object.entries(parsed.data.device_keys)), { viewer: undefined, deviceNames: false });
  return { device_keys: result.device_keys, master_keys: result.master_keys, self_signing_keys: result.self_signing_keys };
}

export async function federationKeyClaim(accounts: Accounts, body: unknown): Promise<JsonObject> {
  const parsed = claimSchema.safeParse(body);
  if (!parsed.success) throw Errors.badJson(parsed.error.issues[0]?.message ?? "Invalid request body");
  const request = new Map(Object.entries(parsed.data.one_time_keys).map(([u, d]) => [u, new Map(Object.entries(d))] as const));
  return { one_time_keys: await claimLocalKeys(accounts, request) };
}
