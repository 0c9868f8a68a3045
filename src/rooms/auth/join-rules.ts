/**
 * The join rule in force (m.room.join_rules schema; member rules "If the join_rule is …").
 *
 * The auth rules never say what the join rule is when the room has no `m.room.join_rules`
 * event, or the event has no `join_rule`. Synapse and Dendrite both treat that as `invite`
 * (the most restrictive meaningful rule), and federating rooms must agree, so we do too. A
 * `join_rule` of any other type or value is returned as-is and matches no rule, which rejects.
 */
import type { RoomVersion } from "../../events/room-versions.js";
import type { JsonValue } from "../../events/types.js";
import { type AuthStateLookup, JOIN_RULES, hasOwn } from "./types.js";

export const DEFAULT_JOIN_RULE = "invite";

export function currentJoinRule(state: AuthStateLookup): JsonValue {
  const content = state.get(JOIN_RULES, "")?.content;
  if (!content || !hasOwn(content, "join_rule")) return DEFAULT_JOIN_RULE;
  return content["join_rule"] ?? null;
}

/** Join rules under which an invited (or joined) user may join: `invite`, and `knock` from v7. */
export function isInviteOnlyRule(rule: JsonValue, version: RoomVersion): boolean {
  return rule === "invite" || (version.knocking && rule === "knock");
}

/** `restricted` from v8, `knock_restricted` from v10: join via an authorising user. */
export function isRestrictedRule(rule: JsonValue, version: RoomVersion): boolean {
  return (version.restrictedJoins && rule === "restricted") || (version.knockRestricted && rule === "knock_restricted");
}

/** Join rules that accept knocks: `knock` from v7, `knock_restricted` from v10. */
export function allowsKnock(rule: JsonValue, version: RoomVersion): boolean {
  return (version.knocking && rule === "knock") || (version.knockRestricted && rule === "knock_restricted");
}
