/**
 * GET /_matrix/client/v3/keys/changes?from=&to= (client-server API "Tracking the device list
 * for a user"): the users whose device lists changed between two stream tokens and who share
 * a room with the caller (plus the caller), so the client knows whose keys to re-query.
 *
 * Tokens: the device-list position (`deviceListPosition` parses them). /sync is expected to
 * carry that position in its `next_batch`; until it does, a token is the decimal position.
 * `left` (users no longer sharing any encrypted room) needs membership history over the
 * window and is always empty for now: a client that misses a leave keeps tracking a user it no
 * longer needs, which is harmless.
 */
import type { Accounts } from "../../accounts/accounts.js";
import { changedDeviceListsFor } from "../../accounts/device-list-changes.js";
import { Errors } from "../../errors.js";

/** A device-list position from a stream token; `undefined` when it is not one. */
export function deviceListPosition(token: string): number | undefined {
  if (!/^\d{1,15}$/.test(token)) return undefined;
  return Number(token);
}

export function keyChanges(accounts: Accounts, viewer: string, query: URLSearchParams): { changed: string[]; left: string[] } {
  const fromToken = query.get("from");
  const toToken = query.get("to");
  if (fromToken === null) throw Errors.missingParam("from is required");
  if (toToken === null) throw Errors.missingParam("to is required");
  const from = deviceListPosition(fromToken);
  const to = deviceListPosition(toToken);
  if (from === undefined || to === undefined) throw Errors.invalidParam("from and to must be stream tokens");
  return { changed: changedDeviceListsFor(accounts, viewer, Math.min(from, to), Math.max(from, to)), left: [] };
}
