/**
 * `join_authorised_via_users_server` (rooms/v8.md, v10.md, v11.md, v12.md member rules;
 * client-server-api "Restricted rooms").
 *
 * Member rule 2 (v8+): if `content` has the key, "the event is not validly signed by the
 * homeserver of the user ID denoted by the key" → reject. Verifying an ed25519 signature needs
 * that server's keys, which a pure rule cannot fetch; so the work is split:
 * - the signature stage of the receipt pipeline MUST also verify the signature of
 *   `authorisingServer(ev, version)` (it is not the sender's server, so the generic
 *   "originating server" check does not cover it);
 * - the auth rule here rejects an event that carries no ed25519 signature from that server at
 *   all, or whose key is not a user ID (it denotes no homeserver), so a forged or unsigned
 *   authorisation is refused even if a caller forgot the first step.
 *
 * Join rule 5.2: the authorising user must be joined and have at least the invite level.
 */
import { domainOf, isHistoricalUserId } from "../../events/ids.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { RoomEvent } from "../../events/types.js";
import { namedLevel, userPowerLevel } from "./power-levels.js";
import { ALLOW, type AuthResult, type AuthStateLookup, MEMBER, deny, hasOwn, membershipOf } from "./types.js";

export const AUTHORISING_USER = "join_authorised_via_users_server";

/**
 * The server whose signature an `m.room.member` event needs besides the sender's, or
 * `undefined` when none (not a member event, pre-v8 room, key absent or not a user ID).
 */
export function authorisingServer(ev: RoomEvent, version: RoomVersion): string | undefined {
  if (!version.restrictedJoins || ev.type !== MEMBER) return undefined;
  const user = ev.content[AUTHORISING_USER];
  if (typeof user !== "string" || !isHistoricalUserId(user)) return undefined;
  return domainOf(user) ?? undefined;
}

/** Member rule 2 (v8+), structural half; see the file comment. */
export function checkAuthorisingSignature(ev: RoomEvent, version: RoomVersion): AuthResult {
  if (!version.restrictedJoins || !hasOwn(ev.content, AUTHORISING_USER)) return ALLOW;
  const server = authorisingServer(ev, version);
  if (server === undefined) return deny(`m.room.member: ${AUTHORISING_USER} is not a user ID`);
  const sigs = ev.pdu.signatures?.[server];
  const signed = sigs !== undefined && typeof sigs === "object" && Object.keys(sigs).some((k) => k.startsWith("ed25519:"));
  if (!signed) return deny(`m.room.member: not signed by the server of ${AUTHORISING_USER}`);
  return ALLOW;
}

/** Join rule 5.2: the authorising user is joined and may invite. */
export function checkAuthorisingUser(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion): AuthResult {
  const user = ev.content[AUTHORISING_USER];
  if (typeof user !== "string") return deny(`m.room.member join: restricted join without ${AUTHORISING_USER}`);
  if (membershipOf(state, user) !== "join") {
    return deny(`m.room.member join: ${AUTHORISING_USER} is not a joined member`);
  }
  if (userPowerLevel(user, state, version) < namedLevel("invite", state, version)) {
    return deny(`m.room.member join: ${AUTHORISING_USER} lacks the invite level`);
  }
  return ALLOW;
}
