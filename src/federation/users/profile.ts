/**
 * GET /_matrix/federation/v1/query/profile?user_id=&field= (server-server query.yaml;
 * FEDERATION-CHECKLIST 12): a local user's public profile, or only `field`. An unknown user or
 * an unset field is 404 M_NOT_FOUND; a user of another server is 400 (the requester MUST only
 * ask the user's own server).
 */
import type { Accounts } from "../../accounts/accounts.js";
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";

export function federationProfile(accounts: Accounts, query: URLSearchParams): JsonObject {
  const userId = query.get("user_id");
  if (userId === null) throw Errors.missingParam("user_id is required");
  if (!accounts.isLocal(userId)) throw Errors.invalidParam("The user is not local to this server");
  const profile = accounts.users.exists(userId) ? accounts.profiles.get(userId) : undefined;
  if (profile === undefined) throw Errors.notFound("User does not exist");
  const field = query.get("field");
  if (field === null) return profile;
  const value = profile[field];
  if (value === undefined || value === null) throw Errors.notFound("Profile field not found");
  return { [field]: value };
}
