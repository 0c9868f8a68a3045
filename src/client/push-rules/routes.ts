/**
 * Push rules API (client-server modules/push.md "Push Rules: API", pushrules.yaml):
 *
 *   GET    /pushrules/                                   {"global": ruleset}
 *   GET    /pushrules/global/                            ruleset
 *   GET    /pushrules/global/{kind}/{ruleId}             the rule
 *   PUT    /pushrules/global/{kind}/{ruleId}?before=&after=   create / replace a user rule
 *   DELETE /pushrules/global/{kind}/{ruleId}
 *   GET|PUT /pushrules/global/{kind}/{ruleId}/enabled    {"enabled": bool}
 *   GET|PUT /pushrules/global/{kind}/{ruleId}/actions    {"actions": [...]}
 *
 * The user's record lives in the `m.push_rules` account data (types.ts `StoredPushRules`);
 * every change is a read-modify-write inside one account-data write, so concurrent changes
 * never lose each other, and it moves the account-data stream: "When a user changes their push
 * rules a `m.push_rules` event is sent to all clients in the `account_data` section of their
 * next /sync … The content of the event is the current push rules for the user." This module
 * installs that view (`{"global": ruleset}`) on the store, so /sync and
 * GET /user/{userId}/account_data/m.push_rules serve it, with the server defaults for a user
 * who never changed anything.
 *
 * Errors: unknown rule → 404 M_NOT_FOUND; malformed kind, rule ID, body, or a `before`/`after`
 * that names no user rule of that kind → 400 (validate.ts, ruleset.ts). Deleting a
 * server-default rule is refused with 400 M_INVALID_PARAM (they can only be disabled). Scopes
 * other than `global` do not exist (device-specific rules were removed from the spec), so those
 * paths are unrecognised (404 M_UNRECOGNIZED).
 */
import type { RouteRegistrar } from "../../app.js";
import type { JsonObject } from "../../events/types.js";
import { json, type HttpRequest } from "../../http/request.js";
import type { Storage } from "../../storage/storage.js";
import { accountDataStore, type AccountDataStore } from "../account-data/store.js";
import { requireClient } from "../auth/authenticator.js";
import { rateLimited } from "../rate-limit.js";
import {
  deleteUserRule,
  findRule,
  putUserRule,
  readStoredRules,
  renderRuleset,
  ruleNotFound,
  setRuleActions,
  setRuleEnabled,
} from "./ruleset.js";
import type { PushRule, RuleKind, Ruleset, StoredPushRules } from "./types.js";
import { checkNewRuleId, parseActions, parseConditions, parseEnabled, parseKind, parsePattern } from "./validate.js";

export const PUSH_RULES = "m.push_rules";
const BASE = "/_matrix/client/v3/pushrules";

/** A user's current push rules (for push evaluation and notification counts). */
export function pushRulesFor(storage: Storage, userId: string): Ruleset {
  return renderRuleset(userId, readStoredRules(accountDataStore(storage).stored(userId, undefined, PUSH_RULES)));
}

export const registerPushRulesRoutes: RouteRegistrar = (router, app) => {
  const store = accountDataStore(app.storage);
  store.manage(PUSH_RULES, { present: (userId, stored) => ({ global: renderRuleset(userId, readStoredRules(stored)) as unknown as JsonObject }) });

  /** The rule a GET names, as the user sees it (404 when there is none). */
  const rule = (req: HttpRequest): PushRule => {
    const { userId } = requireClient(req);
    const kind = parseKind(req.params.kind!);
    const found = findRule(userId, readStoredRules(store.stored(userId, undefined, PUSH_RULES)), kind, req.params.ruleId!);
    if (found === undefined) throw ruleNotFound();
    return found;
  };

  router.get(BASE, (req) => json({ global: pushRulesFor(app.storage, requireClient(req).userId) }), { auth: "client" });
  router.get(`${BASE}/global`, (req) => json(pushRulesFor(app.storage, requireClient(req).userId)), { auth: "client" });
  router.get(`${BASE}/global/:kind/:ruleId`, (req) => json(rule(req)), { auth: "client" });
  router.get(`${BASE}/global/:kind/:ruleId/enabled`, (req) => json({ enabled: rule(req).enabled }), { auth: "client" });
  router.get(`${BASE}/global/:kind/:ruleId/actions`, (req) => json({ actions: rule(req).actions }), { auth: "client" });

  router.put(
    `${BASE}/global/:kind/:ruleId`,
    rateLimited(app, async (req) => {
      const { userId } = requireClient(req);
      const kind = parseKind(req.params.kind!);
      const ruleId = req.params.ruleId!;
      checkNewRuleId(kind, ruleId);
      const body = req.body as JsonObject;
      const actions = parseActions(body);
      const conditions = kind === "override" || kind === "underride" ? parseConditions(body) : undefined;
      const pattern = kind === "content" ? parsePattern(body) : undefined;
      const placement = { before: req.query.get("before") ?? undefined, after: req.query.get("after") ?? undefined };
      await edit(store, userId, (s) =>
        putUserRule(s, kind, { rule_id: ruleId, actions, ...(conditions && { conditions }), ...(pattern !== undefined && { pattern }) }, placement),
      );
      return json({});
    }),
    { auth: "client", body: "object" },
  );

  router.delete(
    `${BASE}/global/:kind/:ruleId`,
    rateLimited(app, async (req) => {
      const { userId } = requireClient(req);
      const kind = parseKind(req.params.kind!);
      await edit(store, userId, (s) => deleteUserRule(userId, s, kind, req.params.ruleId!));
      return json({});
    }),
    { auth: "client", body: "object-or-empty" },
  );

  // PUT …/enabled and …/actions: any rule, user-defined or server-default.
  const putAttribute = <T>(
    attribute: "enabled" | "actions",
    parse: (body: JsonObject) => T,
    apply: (userId: string, stored: StoredPushRules, kind: RuleKind, ruleId: string, value: T) => void,
  ): void => {
    router.put(
      `${BASE}/global/:kind/:ruleId/${attribute}`,
      rateLimited(app, async (req) => {
        const { userId } = requireClient(req);
        const kind = parseKind(req.params.kind!);
        const value = parse(req.body as JsonObject);
        await edit(store, userId, (s) => apply(userId, s, kind, req.params.ruleId!, value));
        return json({});
      }),
      { auth: "client", body: "object" },
    );
  };
  putAttribute("enabled", parseEnabled, setRuleEnabled);
  putAttribute("actions", parseActions, setRuleActions);
};

/** Apply `change` to the user's record inside one write (it throws to refuse: nothing written). */
async function edit(store: AccountDataStore, userId: string, change: (stored: StoredPushRules) => void): Promise<void> {
  await store.update(userId, undefined, PUSH_RULES, (current) => {
    const stored = readStoredRules(current);
    change(stored);
    return stored as unknown as JsonObject;
  });
}
