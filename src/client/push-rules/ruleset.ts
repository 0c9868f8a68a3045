/**
 * A user's push rules: the server-default rules merged with the user's record
 * (`StoredPushRules`), and the edits the API makes to that record. Pure functions; the routes
 * run the edits inside one account-data write (routes.ts).
 *
 * Priority within a kind (modules/push.md "Predefined Rules"): server-default rules "operate at
 * a lower priority than user-defined rules, except for the `.m.rule.master` rule which has
 * always a higher priority than any other rule". So:
 *
 *   override:  .m.rule.master, user override rules, default override rules
 *   content:   user content rules, default content rules
 *   room, sender: user rules
 *   underride: user underride rules, default underride rules
 *
 * Placing a rule (pushrules.yaml PUT): a new rule without `before`/`after` becomes "the most
 * important user defined rule among rules of the same kind"; an existing one is updated where
 * it is (keeping whether it is enabled); with `before` (which wins when both are given) or
 * `after` it moves next to that user-defined rule ("It is not possible to add a rule relative
 * to a predefined server rule").
 */
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import { defaultRules, masterRule } from "./defaults.js";
import { RULE_KINDS, type DefaultRuleChange, type PushAction, type PushRule, type RuleKind, type Ruleset, type StoredPushRules, type StoredUserRule } from "./types.js";

export function emptyStoredRules(): StoredPushRules {
  return {
    user: { override: [], content: [], room: [], sender: [], underride: [] },
    defaults: { override: {}, content: {}, room: {}, sender: {}, underride: {} },
  };
}

/** The record from its stored account-data content (tolerates an absent or partial one). */
export function readStoredRules(content: JsonObject | undefined): StoredPushRules {
  const out = emptyStoredRules();
  const raw = content as Partial<StoredPushRules> | undefined;
  for (const kind of RULE_KINDS) {
    const user = raw?.user?.[kind];
    if (Array.isArray(user)) out.user[kind] = user;
    const defaults = raw?.defaults?.[kind];
    if (defaults !== undefined && typeof defaults === "object" && !Array.isArray(defaults)) out.defaults[kind] = defaults;
  }
  return out;
}

/** The ruleset clients see (GET /pushrules/global/, the `m.push_rules` event's `global`). */
export function renderRuleset(userId: string, stored: StoredPushRules): Ruleset {
  const defaults = defaultRules(userId);
  const out = {} as Ruleset;
  for (const kind of RULE_KINDS) {
    const user = stored.user[kind].map((r) => renderUserRule(kind, r));
    const server = defaults[kind].map((r) => withChange(r, stored.defaults[kind][r.rule_id]));
    out[kind] = kind === "override" ? [withChange(masterRule(), stored.defaults.override[masterRule().rule_id]), ...user, ...server] : [...user, ...server];
  }
  return out;
}

/** One rule as clients see it, or undefined. */
export function findRule(userId: string, stored: StoredPushRules, kind: RuleKind, ruleId: string): PushRule | undefined {
  return renderRuleset(userId, stored)[kind].find((r) => r.rule_id === ruleId);
}

export interface Placement {
  readonly before?: string | undefined;
  readonly after?: string | undefined;
}

/** Create or replace a user-defined rule (its ID already validated). */
export function putUserRule(stored: StoredPushRules, kind: RuleKind, rule: Omit<StoredUserRule, "enabled">, placement: Placement): void {
  const list = stored.user[kind];
  const at = list.findIndex((r) => r.rule_id === rule.rule_id);
  const enabled = at < 0 ? true : list[at]!.enabled;
  const next: StoredUserRule = { ...rule, enabled };
  const anchor = placement.before ?? placement.after;
  if (anchor === undefined) {
    if (at < 0) list.unshift(next);
    else list[at] = next;
    return;
  }
  if (anchor.startsWith(".")) throw Errors.invalidParam("A rule cannot be placed relative to a server-default rule");
  if (at >= 0) list.splice(at, 1);
  const target = list.findIndex((r) => r.rule_id === anchor);
  if (target < 0) throw Errors.invalidParam(`before/after rule not found: ${anchor}`);
  list.splice(placement.before !== undefined ? target : target + 1, 0, next);
}

/** Delete a user-defined rule: 404 when there is none, 400 for a server-default rule. */
export function deleteUserRule(userId: string, stored: StoredPushRules, kind: RuleKind, ruleId: string): void {
  const list = stored.user[kind];
  const at = list.findIndex((r) => r.rule_id === ruleId);
  if (at >= 0) {
    list.splice(at, 1);
    return;
  }
  if (isDefaultRule(userId, kind, ruleId)) throw Errors.invalidParam("Server-default rules cannot be deleted (disable them instead)");
  throw ruleNotFound();
}

/** Enable/disable any rule, user-defined or server-default. */
export function setRuleEnabled(userId: string, stored: StoredPushRules, kind: RuleKind, ruleId: string, enabled: boolean): void {
  changeRule(userId, stored, kind, ruleId, { enabled });
}

/** Replace the actions of any rule ("This can be used to change the actions of builtin rules"). */
export function setRuleActions(userId: string, stored: StoredPushRules, kind: RuleKind, ruleId: string, actions: PushAction[]): void {
  changeRule(userId, stored, kind, ruleId, { actions });
}

export function ruleNotFound(): Error {
  return Errors.notFound("The push rule was not found");
}

function changeRule(userId: string, stored: StoredPushRules, kind: RuleKind, ruleId: string, change: DefaultRuleChange): void {
  const user = stored.user[kind].find((r) => r.rule_id === ruleId);
  if (user !== undefined) {
    Object.assign(user, change);
    return;
  }
  if (!isDefaultRule(userId, kind, ruleId)) throw ruleNotFound();
  stored.defaults[kind][ruleId] = { ...stored.defaults[kind][ruleId], ...change };
}

function isDefaultRule(userId: string, kind: RuleKind, ruleId: string): boolean {
  if (kind === "override" && ruleId === masterRule().rule_id) return true;
  return defaultRules(userId)[kind].some((r) => r.rule_id === ruleId);
}

function renderUserRule(kind: RuleKind, r: StoredUserRule): PushRule {
  const out: PushRule = { rule_id: r.rule_id, default: false, enabled: r.enabled, actions: r.actions };
  if (kind === "override" || kind === "underride") out.conditions = r.conditions ?? [];
  if (kind === "content" && r.pattern !== undefined) out.pattern = r.pattern;
  return out;
}

function withChange(rule: PushRule, change: DefaultRuleChange | undefined): PushRule {
  if (change === undefined) return rule;
  return { ...rule, enabled: change.enabled ?? rule.enabled, actions: change.actions ?? rule.actions };
}
