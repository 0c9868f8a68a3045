/**
 * Request validation for the push rules API (pushrules.yaml; modules/push.md "Actions",
 * "Conditions"). Every failure is 400: M_MISSING_PARAM for an absent required field,
 * M_INVALID_PARAM for anything malformed ("There was a problem configuring this push rule").
 *
 * - `ruleId` of a new rule: "If the string starts with a dot, the request MUST be rejected as
 *   this is reserved for server-default rules. Slashes and backslashes are also not allowed."
 *   A `room` rule's ID is a room ID and a `sender` rule's a user ID ("The rule_id of a room
 *   rule is always the ID of the room that it affects", same for senders).
 * - Actions: `notify`, or an object naming a tweak (`set_tweak`). The historical `dont_notify`
 *   and `coalesce` are accepted and stripped ("Clients and homeservers MUST ignore these
 *   actions, for instance, by stripping them").
 * - Conditions: objects with a string `kind`. Parameters of the defined kinds are checked;
 *   other kinds are kept as given ("Unrecognised conditions MUST NOT match any events").
 */
import { Errors } from "../../errors.js";
import { isHistoricalUserId, isValidRoomId } from "../../events/ids.js";
import type { JsonObject, JsonValue } from "../../events/types.js";
import { isRuleKind, type PushAction, type PushCondition, type RuleKind } from "./types.js";

const HISTORICAL_ACTIONS: ReadonlySet<string> = new Set(["dont_notify", "coalesce"]);
const MEMBER_COUNT = /^(==|<=|>=|<|>)?[0-9]{1,15}$/;

export function parseKind(kind: string): RuleKind {
  if (!isRuleKind(kind)) throw Errors.invalidParam(`Unknown push rule kind '${kind}'`);
  return kind;
}

/** The ID of a user-defined rule being created or replaced. */
export function checkNewRuleId(kind: RuleKind, ruleId: string): void {
  if (ruleId.length === 0) throw Errors.invalidParam("The rule ID must not be empty");
  if (ruleId.startsWith(".")) throw Errors.invalidParam("Rule IDs starting with '.' are reserved for server-default rules");
  if (ruleId.includes("/") || ruleId.includes("\\")) throw Errors.invalidParam("Rule IDs must not contain '/' or '\\'");
  if (kind === "room" && !isValidRoomId(ruleId)) throw Errors.invalidParam("The rule ID of a room rule must be a room ID");
  if (kind === "sender" && !isHistoricalUserId(ruleId)) throw Errors.invalidParam("The rule ID of a sender rule must be a user ID");
}

/** `actions` of a request body (required), without the historical actions. */
export function parseActions(body: JsonObject): PushAction[] {
  const actions = body.actions;
  if (actions === undefined) throw Errors.missingParam("actions is required");
  if (!Array.isArray(actions)) throw Errors.invalidParam("actions must be an array");
  const out: PushAction[] = [];
  for (const a of actions) {
    if (typeof a === "string") {
      if (a === "notify") out.push(a);
      else if (!HISTORICAL_ACTIONS.has(a)) throw Errors.invalidParam(`Unknown action '${a}'`);
      continue;
    }
    if (!isObject(a) || typeof a.set_tweak !== "string" || a.set_tweak.length === 0) {
      throw Errors.invalidParam("An action must be 'notify' or an object with a set_tweak string");
    }
    out.push(a);
  }
  return out;
}

/** `conditions` of an override/underride rule (optional: none means "always matches"). */
export function parseConditions(body: JsonObject): PushCondition[] {
  const conditions = body.conditions;
  if (conditions === undefined || conditions === null) return [];
  if (!Array.isArray(conditions)) throw Errors.invalidParam("conditions must be an array");
  return conditions.map(parseCondition);
}

/** `pattern` of a content rule (required). */
export function parsePattern(body: JsonObject): string {
  const pattern = body.pattern;
  if (pattern === undefined) throw Errors.missingParam("pattern is required for content rules");
  if (typeof pattern !== "string") throw Errors.invalidParam("pattern must be a string");
  return pattern;
}

/** `enabled` of PUT …/enabled (required boolean). */
export function parseEnabled(body: JsonObject): boolean {
  if (body.enabled === undefined) throw Errors.missingParam("enabled is required");
  if (typeof body.enabled !== "boolean") throw Errors.invalidParam("enabled must be a boolean");
  return body.enabled;
}

function parseCondition(c: JsonValue): PushCondition {
  if (!isObject(c) || typeof c.kind !== "string") throw Errors.invalidParam("A condition must be an object with a kind string");
  const need = (field: string, ok: (v: JsonValue | undefined) => boolean, what: string): void => {
    if (!ok(c[field])) throw Errors.invalidParam(`${c.kind as string} condition: ${field} must be ${what}`);
  };
  switch (c.kind) {
    case "event_match":
      need("key", isString, "a string");
      need("pattern", isString, "a string");
      break;
    case "event_property_is":
    case "event_property_contains":
      need("key", isString, "a string");
      // "only supports non-compound canonical JSON values: strings, integers … booleans, and null"
      need("value", isScalar, "a string, an integer, a boolean or null");
      break;
    case "room_member_count":
      need("is", (v) => typeof v === "string" && MEMBER_COUNT.test(v), "an integer with an optional ==, <, >, >= or <= prefix");
      break;
    case "sender_notification_permission":
      need("key", isString, "a string");
      break;
  }
  return c as PushCondition;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isString(v: JsonValue | undefined): boolean {
  return typeof v === "string";
}

function isScalar(v: JsonValue | undefined): boolean {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  return typeof v === "number" && Number.isSafeInteger(v);
}
