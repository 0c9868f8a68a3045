/**
 * Push rule shapes (client-server modules/push.md "Push Rules", definitions push_rule.yaml and
 * push_ruleset.yaml) and the record the server keeps of a user's changes to them.
 */
import type { JsonObject } from "../../events/types.js";

/** The kinds, in the order they are checked (push.md "Push Rules"). */
export const RULE_KINDS = ["override", "content", "room", "sender", "underride"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export function isRuleKind(s: string): s is RuleKind {
  return (RULE_KINDS as readonly string[]).includes(s);
}

/** A string (`notify`) or an object (`{"set_tweak": "sound", "value": "default"}`). */
export type PushAction = string | JsonObject;

/** A condition object (`kind` plus its parameters); unknown kinds are kept as given. */
export type PushCondition = JsonObject & { kind: string };

/** A rule as clients see it (push_rule.yaml). */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  /** override and underride rules only. */
  conditions?: PushCondition[];
  /** content rules only. */
  pattern?: string;
}

/** push_ruleset.yaml: every kind, highest priority first. */
export type Ruleset = Record<RuleKind, PushRule[]>;

/** A user-defined rule as stored (`default` is always false, so it is not kept). */
export interface StoredUserRule {
  rule_id: string;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

/** What the user changed on a server-default rule. */
export interface DefaultRuleChange {
  enabled?: boolean;
  actions?: PushAction[];
}

/**
 * The server's record of a user's push rules, stored as the `m.push_rules` account data
 * (clients see the rendered ruleset instead, ruleset.ts): the user-defined rules of each kind
 * in priority order, and changes to server-default rules by kind and rule ID. Defaults are
 * not copied, so a server that ships newer defaults serves them to existing users.
 */
export interface StoredPushRules {
  user: Record<RuleKind, StoredUserRule[]>;
  defaults: Record<RuleKind, Record<string, DefaultRuleChange>>;
}
