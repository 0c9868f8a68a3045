/**
 * Restricted joins on the resident side (server-server-api.md "Restricted rooms";
 * client-server-api "Restricted rooms"; rooms/v8+ member rules; joins-v1.yaml / joins-v2.yaml).
 *
 * A user who is invited (or already joined) is not affected by the restrictions. Anyone else
 * must satisfy one of the join rule's `allow` conditions; the only condition type is
 * `m.room_membership`: being joined to `room_id`. Then the join event names, in
 * `join_authorised_via_users_server`, one of OUR joined users who can invite, and we sign it.
 *
 * Outcomes (spec "Restricted rooms"):
 * - a condition is met and we have a user able to invite → that user;
 * - a condition is met but none of our users can invite → 400 `M_UNABLE_TO_GRANT_JOIN`
 *   ("the joining server should try a different server");
 * - no condition is met and some allowed room is one we are not in (we cannot tell whether
 *   the user is joined there) → 400 `M_UNABLE_TO_AUTHORISE_JOIN`. Synapse draws the line the
 *   same way: another resident may know that room, so the joining server should go on trying;
 * - no condition is met and we could check every one (or there are none that fit the schema:
 *   "the joining server is considered to have failed all conditions") → 403 `M_FORBIDDEN`.
 */
import { Errors } from "../../errors.js";
import { domainOf, isValidRoomId } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import { prefixRange } from "../../storage/keys.js";
import { currentJoinRule, isRestrictedRule } from "../auth/join-rules.js";
import { namedLevel, powerLevelsFromState, userPowerLevel } from "../auth/power-levels.js";
import { AUTHORISING_USER } from "../auth/restricted-join.js";
import { roomCreators } from "../auth/room-creators.js";
import { type AuthStateLookup, CREATE, JOIN_RULES, membershipOf } from "../auth/types.js";
import type { RoomContext } from "../room-context.js";
import { isResident } from "./resident-room.js";

export { AUTHORISING_USER };

export const ROOM_MEMBERSHIP_CONDITION = "m.room_membership";

export type ConditionVerdict = "satisfied" | "unverifiable" | "failed";

/** Whether the join goes through the restriction path at all (restricted rule, not invited/joined). */
export function needsAuthorisation(ctx: RoomContext, state: AuthStateLookup, userId: string): boolean {
  if (!isRestrictedRule(currentJoinRule(state), ctx.version)) return false;
  const current = membershipOf(state, userId);
  // Invited or joined: "the restrictions will not affect them". Banned: the auth rules answer.
  return current !== "invite" && current !== "join" && current !== "ban";
}

/** The `m.room_membership` room IDs of the join rules' `allow` list; malformed entries dropped. */
export function allowedRooms(joinRules: JsonObject | undefined): string[] {
  const allow = joinRules?.["allow"];
  if (!Array.isArray(allow)) return [];
  const out: string[] = [];
  for (const c of allow) {
    if (c === null || typeof c !== "object" || Array.isArray(c)) continue;
    if (c["type"] !== ROOM_MEMBERSHIP_CONDITION || typeof c["room_id"] !== "string" || !isValidRoomId(c["room_id"])) continue;
    out.push(c["room_id"]);
  }
  return out;
}

/** Evaluate the conditions for `userId` against the rooms we are in (see the file comment). */
export function evaluateConditions(ctx: RoomContext, userId: string, rooms: readonly string[]): ConditionVerdict {
  let unverifiable = false;
  for (const roomId of rooms) {
    const room = ctx.storage.rooms.getRoom(roomId);
    if (!room || !isResident(ctx, room.roomNid)) {
      unverifiable = true;
      continue;
    }
    if (ctx.storage.rooms.membership(room.roomNid, userId)?.membership === "join") return "satisfied";
  }
  return unverifiable ? "unverifiable" : "failed";
}

/**
 * One of our users who is joined and has at least the invite level, or undefined. Those with
 * the most power are preferred (a demotion is then least likely to invalidate the join): the
 * users named in the power levels and (v12) the room creators first; only when the invite level
 * does not exceed `users_default` can an unnamed member qualify, and then the member list is
 * scanned until the first of ours.
 */
export function chooseAuthorisingUser(ctx: RoomContext, state: AuthStateLookup): string | undefined {
  const { version, serverName } = ctx;
  const inviteLevel = namedLevel("invite", state, version);
  const ours = (u: string) => domainOf(u) === serverName;
  const candidates = new Set<string>();
  const create = state.get(CREATE, "");
  if (create) for (const u of roomCreators(create, version)) if (ours(u)) candidates.add(u);
  const pl = powerLevelsFromState(state, version);
  for (const u of pl.users.keys()) if (ours(u)) candidates.add(u);
  const ranked = [...candidates]
    .map((u) => ({ u, level: userPowerLevel(u, state, version) }))
    .filter((c) => c.level >= inviteLevel)
    .sort((a, b) => b.level - a.level || (a.u < b.u ? -1 : 1));
  for (const { u } of ranked) if (membershipOf(state, u) === "join") return u;

  if (pl.usersDefault < inviteLevel) return undefined;
  const members = ctx.storage.store.dbs.roomMembers;
  for (const { key, value } of members.getRange(prefixRange([ctx.roomNid]))) {
    const user = key[1];
    if (value[0] !== "join" || !ours(user) || candidates.has(user)) continue;
    if (membershipOf(state, user) === "join" && userPowerLevel(user, state, version) >= inviteLevel) return user;
  }
  return undefined;
}

/**
 * make_join: the authorising user to name in the template, or undefined when the join does not
 * need one. Throws the spec's errors when it needs one and we cannot give it.
 */
export function authoriseJoin(ctx: RoomContext, state: AuthStateLookup, userId: string): string | undefined {
  if (!needsAuthorisation(ctx, state, userId)) return undefined;
  requireConditions(ctx, state, userId);
  const via = chooseAuthorisingUser(ctx, state);
  if (via === undefined) throw Errors.unableToGrantJoin("No user on this server can invite you to the room; try another server");
  return via;
}

/**
 * send_join naming one of our users in `join_authorised_via_users_server`: may we sign it?
 * Only if the user really can vouch now (joined, invite level) and, when the join relies on
 * the authorisation, the joining user meets a condition.
 */
export function confirmAuthorisation(ctx: RoomContext, state: AuthStateLookup, userId: string, authoriser: string): void {
  if (needsAuthorisation(ctx, state, userId)) requireConditions(ctx, state, userId);
  if (membershipOf(state, authoriser) !== "join" || userPowerLevel(authoriser, state, ctx.version) < namedLevel("invite", state, ctx.version)) {
    throw Errors.unableToGrantJoin(`${AUTHORISING_USER} is not a joined user of this server able to invite`);
  }
}

function requireConditions(ctx: RoomContext, state: AuthStateLookup, userId: string): void {
  const verdict = evaluateConditions(ctx, userId, allowedRooms(state.get(JOIN_RULES, "")?.content));
  if (verdict === "unverifiable") {
    throw Errors.unableToAuthoriseJoin("This server cannot check whether you meet the room's join conditions; try another server");
  }
  if (verdict === "failed") throw Errors.forbidden("You do not meet any of the room's join conditions");
}
