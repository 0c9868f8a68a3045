/**
 * Invite blocking (client-server modules/invite_permission.md, Matrix 1.18; event schema
 * m.invite_permission_config).
 *
 * A user blocks every invite with `{"default_action": "block"}` in the
 * `m.invite_permission_config` account data event. "A missing, invalid or unsupported value
 * means that the user wants to receive invites as normal." While invites to a user are blocked,
 * the user's homeserver MUST answer federation `/invite` (v1 and v2) — and the client invite
 * endpoints — with 403 `M_INVITE_BLOCKED`, and MUST NOT serve such invites over /sync.
 *
 * Account data belongs to the client-server side. Until it exists, nothing is blocked; the
 * component that stores account data plugs its reader in with `setAccountDataLookup` (one call
 * at start-up), and every caller asks `isBlocked`.
 */
import type { JsonObject } from "../../events/types.js";
import type { Storage } from "../../storage/storage.js";

export const INVITE_PERMISSION_CONFIG = "m.invite_permission_config";

/** A user's global account data of one type, or undefined when unset. */
export type AccountDataLookup = (userId: string, type: string) => JsonObject | undefined;

/** The rule itself: only `default_action: "block"` blocks. */
export function invitesBlockedBy(content: JsonObject | undefined): boolean {
  return content?.["default_action"] === "block";
}

export class InvitePermissions {
  private lookup: AccountDataLookup | undefined;

  setAccountDataLookup(lookup: AccountDataLookup | undefined): void {
    this.lookup = lookup;
  }

  /** Does `userId` (a local user) currently block all invites? */
  isBlocked(userId: string): boolean {
    return invitesBlockedBy(this.lookup?.(userId, INVITE_PERMISSION_CONFIG));
  }
}

const permissions = new WeakMap<Storage, InvitePermissions>();

/** The one `InvitePermissions` of a server (keyed by its `Storage`). */
export function invitePermissions(storage: Storage): InvitePermissions {
  let p = permissions.get(storage);
  if (!p) permissions.set(storage, (p = new InvitePermissions()));
  return p;
}
