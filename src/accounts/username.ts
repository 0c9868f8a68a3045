/**
 * From a requested username to a localpart (client-server API registration.yaml: the server
 * "MUST either map the provided `username` onto a `user_id` in a logical manner, or reject
 * any `username` which does not comply to the grammar with `M_INVALID_USERNAME`").
 *
 * Mapping: upper-case ASCII is folded to lower case (user IDs are case-sensitive and only
 * lower case is valid, so `Alice` and `alice` must not become two accounts). Anything else
 * outside the localpart grammar (appendices "User Identifiers": `a-z 0-9 . _ = - / +`) is
 * rejected rather than rewritten, so users are not surprised by the ID they get.
 */
import { Errors, type MatrixError } from "../errors.js";
import { isValidUserId, isValidUserLocalpart, MAX_ID_BYTES } from "../events/ids.js";

export type UsernameCheck = { ok: true; localpart: string; userId: string } | { ok: false; error: MatrixError };

/** Validate `username` for registration on `serverName`. */
export function checkUsername(username: string, serverName: string): UsernameCheck {
  const localpart = username.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  if (localpart.length === 0) return fail("Username must not be empty");
  if (!isValidUserLocalpart(localpart)) {
    return fail("Username may only contain the characters a-z, 0-9, '.', '_', '=', '-', '/' and '+'");
  }
  // Generated localparts are never all digits; keeping numeric IDs out avoids confusion with them.
  if (/^\d+$/.test(localpart)) return fail("Username must not consist only of digits");
  const userId = `@${localpart}:${serverName}`;
  if (Buffer.byteLength(userId, "utf8") > MAX_ID_BYTES || !isValidUserId(userId)) {
    return fail(`The user ID must not exceed ${MAX_ID_BYTES} bytes`);
  }
  return { ok: true, localpart, userId };
}

function fail(message: string): UsernameCheck {
  return { ok: false, error: Errors.invalidUsername(message) };
}
