/**
 * Which user a login or `m.login.password` auth stage names (client-server API "Identifier
 * types"): `identifier: {type: "m.id.user", user}` or the deprecated top-level `user`, either
 * a full user ID or a localpart. Third-party identifiers cannot match anyone here (we bind no
 * 3PIDs), and the spec's answer to an unknown 3PID is 403.
 *
 * A localpart (or a user ID of ours) with upper-case letters finds the lower-case account when
 * no account has the exact ID, matching how registration folds case (accounts/username.ts).
 */
import type { Accounts } from "../../accounts/accounts.js";
import { Errors } from "../../errors.js";
import { domainOf } from "../../events/ids.js";
import { isJsonObject } from "../../json.js";

export function loginUserId(accounts: Accounts, dict: Readonly<Record<string, unknown>>): string {
  const identifier = dict.identifier;
  let user: unknown;
  if (identifier !== undefined) {
    if (!isJsonObject(identifier)) throw Errors.badJson("identifier must be an object");
    const id = identifier as Record<string, unknown>;
    switch (id.type) {
      case "m.id.user":
        user = id.user;
        break;
      case "m.id.thirdparty":
      case "m.id.phone":
        throw Errors.forbidden("No account is bound to that third-party identifier");
      default:
        throw Errors.unknown("Unknown identifier type");
    }
  } else if (dict.user !== undefined) {
    user = dict.user;
  } else if (dict.medium !== undefined || dict.address !== undefined) {
    throw Errors.forbidden("No account is bound to that third-party identifier");
  } else {
    throw Errors.missingParam("identifier is required");
  }
  if (typeof user !== "string" || user.length === 0) throw Errors.badJson("identifier.user must be a non-empty string");
  const userId = user.startsWith("@") ? user : `@${user}:${accounts.serverName}`;
  if (domainOf(userId) !== accounts.serverName) throw Errors.forbidden("That user is not on this server");
  if (accounts.users.exists(userId)) return userId;
  const colon = userId.indexOf(":");
  return userId.slice(0, colon).toLowerCase() + userId.slice(colon);
}
