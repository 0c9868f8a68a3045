/**
 * The server-default push rules (client-server modules/push.md "Predefined Rules", Matrix 1.9+
 * set), in the spec's order. Their rule IDs start with a dot; they rank below the user's own
 * rules of the same kind, "except for the `.m.rule.master` rule which has always a higher
 * priority than any other rule" (so it is kept apart: `MASTER`).
 *
 * `.m.rule.contains_display_name`, `.m.rule.roomnotif` and `.m.rule.contains_user_name` are
 * deprecated since v1.7 (superseded by the `m.mentions` rules) but still part of the set.
 * Historical `dont_notify` actions are written as empty action lists ("a rule with
 * `["dont_notify"]` actions MUST be equivalent to a rule with an empty actions array").
 */
import type { PushAction, PushCondition, PushRule, RuleKind } from "./types.js";

const NOTIFY = "notify";
const SOUND_DEFAULT: PushAction = { set_tweak: "sound", value: "default" };
const SOUND_RING: PushAction = { set_tweak: "sound", value: "ring" };
const HIGHLIGHT: PushAction = { set_tweak: "highlight" };

const match = (key: string, pattern: string): PushCondition => ({ kind: "event_match", key, pattern });
const propertyIs = (key: string, value: string | boolean): PushCondition => ({ kind: "event_property_is", key, value });
const roomPermission: PushCondition = { kind: "sender_notification_permission", key: "room" };
const oneToOne: PushCondition = { kind: "room_member_count", is: "2" };

function rule(rule_id: string, conditions: PushCondition[], actions: PushAction[], enabled = true): PushRule {
  return { rule_id, default: true, enabled, conditions, actions };
}

export const MASTER_RULE_ID = ".m.rule.master";

/** `.m.rule.master`: matches everything; disabled until the user turns notifications off. */
export function masterRule(): PushRule {
  return rule(MASTER_RULE_ID, [], [], false);
}

/** Server-default rules of each kind for `userId`, highest priority first (master excluded). */
export function defaultRules(userId: string): Record<RuleKind, PushRule[]> {
  const localpart = userId.slice(1, userId.indexOf(":") < 0 ? undefined : userId.indexOf(":"));
  return {
    override: [
      rule(".m.rule.suppress_notices", [match("content.msgtype", "m.notice")], []),
      rule(".m.rule.invite_for_me", [match("type", "m.room.member"), match("content.membership", "invite"), match("state_key", userId)], [NOTIFY, SOUND_DEFAULT]),
      rule(".m.rule.member_event", [match("type", "m.room.member")], []),
      rule(".m.rule.is_user_mention", [{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: userId }], [NOTIFY, SOUND_DEFAULT, HIGHLIGHT]),
      rule(".m.rule.contains_display_name", [{ kind: "contains_display_name" }], [NOTIFY, SOUND_DEFAULT, HIGHLIGHT]),
      rule(".m.rule.is_room_mention", [propertyIs("content.m\\.mentions.room", true), roomPermission], [NOTIFY, HIGHLIGHT]),
      rule(".m.rule.roomnotif", [match("content.body", "@room"), roomPermission], [NOTIFY, HIGHLIGHT]),
      rule(".m.rule.tombstone", [match("type", "m.room.tombstone"), match("state_key", "")], [NOTIFY, HIGHLIGHT]),
      rule(".m.rule.reaction", [match("type", "m.reaction")], []),
      rule(".m.rule.room.server_acl", [match("type", "m.room.server_acl"), match("state_key", "")], []),
      rule(".m.rule.suppress_edits", [propertyIs("content.m\\.relates_to.rel_type", "m.replace")], []),
    ],
    content: [{ rule_id: ".m.rule.contains_user_name", default: true, enabled: true, pattern: localpart, actions: [NOTIFY, SOUND_DEFAULT, HIGHLIGHT] }],
    room: [],
    sender: [],
    underride: [
      rule(".m.rule.call", [match("type", "m.call.invite")], [NOTIFY, SOUND_RING]),
      rule(".m.rule.encrypted_room_one_to_one", [oneToOne, match("type", "m.room.encrypted")], [NOTIFY, SOUND_DEFAULT]),
      rule(".m.rule.room_one_to_one", [oneToOne, match("type", "m.room.message")], [NOTIFY, SOUND_DEFAULT]),
      rule(".m.rule.message", [match("type", "m.room.message")], [NOTIFY]),
      rule(".m.rule.encrypted", [match("type", "m.room.encrypted")], [NOTIFY]),
    ],
  };
}
