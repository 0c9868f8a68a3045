/**
 * Auth rule for `m.room.power_levels` (v1/v3 rule 10, v6–v9 rule 9, v10/v11 rule 9, v12
 * rule 10). Reached only after the sender is known to be joined and to have the level the
 * event type requires.
 *
 * Validation:
 * - all versions: `users`, if present, is an object whose keys are user IDs and whose values
 *   are levels (v1–v9 also stringy, v1–v5 also floats). An absent `users` is accepted, as
 *   every implementation does (it reads as `{}`).
 * - v10+: `users_default`, `events_default`, `state_default`, `ban`, `redact`, `kick`,
 *   `invite`, if present, are integers; `events` and `notifications`, if present, are objects
 *   of integers.
 * - v12: `users` must not list a room creator.
 * Then, with no previous power-levels event, allow. Otherwise, for each alteration (added,
 * changed or removed):
 * - the scalar keys: neither the old nor the new value may exceed the sender's level;
 * - `events` (and `notifications` from v6): a changed/removed old value and an
 *   added/changed new value may not exceed the sender's level;
 * - `users`: an entry other than the sender's own that is changed or removed must be below
 *   the sender's level; any added or changed new value may not exceed it.
 * Values are compared as the integers they stand for (so `"50"` → `50` is no change). In
 * v1–v9 a value that is not a valid level cannot be compared; an alteration that involves one
 * is rejected (as Synapse and Dendrite do).
 *
 * "The previous m.room.power_levels event" is the room's, at state_key "", whatever the
 * state_key of the event being checked (only that slot confers power).
 */
import { isHistoricalUserId } from "../../events/ids.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { JsonObject, RoomEvent } from "../../events/types.js";
import { LEVEL_KEYS, parsePowerLevels, roomCreators, userPowerLevel } from "./power-levels.js";
import { parseLevelValue } from "./power-level-value.js";
import { ALLOW, type AuthResult, type AuthStateLookup, CREATE, POWER_LEVELS, deny, hasOwn } from "./types.js";
import { isJsonObject } from "../../json.js";

const RULE = "m.room.power_levels";

export function checkPowerLevelsEvent(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion): AuthResult {
  const content = ev.content;
  const invalid = validate(content, version);
  if (invalid) return deny(`${RULE}: ${invalid}`);

  if (version.creatorsHaveInfinitePower) {
    const create = state.get(CREATE, "");
    const users = content["users"];
    if (create && isJsonObject(users)) {
      for (const creator of roomCreators(create, version)) {
        if (hasOwn(users, creator)) return deny(`${RULE}: users lists a room creator`);
      }
    }
  }

  const previous = state.get(POWER_LEVELS, "");
  if (!previous) return ALLOW;
  const old = previous.content;
  const senderLevel = userPowerLevel(ev.sender, state, version);

  for (const [key] of LEVEL_KEYS) {
    const r = compare(old, content, key, version);
    if (r === "invalid") return deny(`${RULE}: ${key} is not a valid power level`);
    if (r === "same") continue;
    if (r.old !== undefined && r.old > senderLevel) return deny(`${RULE}: current ${key} is above the sender's level`);
    if (r.new !== undefined && r.new > senderLevel) return deny(`${RULE}: new ${key} is above the sender's level`);
  }

  const maps: Array<"events" | "notifications"> = version.notificationsPowerLevel ? ["events", "notifications"] : ["events"];
  for (const name of maps) {
    const oldMap = subObject(old, name);
    const newMap = subObject(content, name);
    if (oldMap === null || newMap === null) return deny(`${RULE}: ${name} is not an object`);
    for (const key of unionKeys(oldMap, newMap)) {
      const r = compare(oldMap, newMap, key, version);
      if (r === "invalid") return deny(`${RULE}: ${name}.${key} is not a valid power level`);
      if (r === "same") continue;
      if (r.old !== undefined && r.old > senderLevel) return deny(`${RULE}: current ${name} level is above the sender's level`);
      if (r.new !== undefined && r.new > senderLevel) return deny(`${RULE}: new ${name} level is above the sender's level`);
    }
  }

  const oldUsers = subObject(old, "users");
  const newUsers = subObject(content, "users");
  if (oldUsers === null || newUsers === null) return deny(`${RULE}: users is not an object`);
  for (const user of unionKeys(oldUsers, newUsers)) {
    const r = compare(oldUsers, newUsers, user, version);
    if (r === "invalid") return deny(`${RULE}: users entry is not a valid power level`);
    if (r === "same") continue;
    if (user !== ev.sender && r.old !== undefined && r.old >= senderLevel) {
      return deny(`${RULE}: changes a user whose level is not below the sender's`);
    }
    if (r.new !== undefined && r.new > senderLevel) return deny(`${RULE}: grants a level above the sender's`);
  }
  return ALLOW;
}

/** The first content-validation failure, or `null`. */
function validate(content: JsonObject, version: RoomVersion): string | null {
  if (version.integerPowerLevels) {
    // v10 rules 9.1/9.2: every level must be a JSON integer. The strict parse checks exactly
    // that (plus `users`, which rule 9.3 asks for anyway).
    if (parsePowerLevels(content, version) === null) return "content holds a value that is not an integer level";
    return null;
  }
  if (!hasOwn(content, "users")) return null;
  const users = content["users"];
  if (!isJsonObject(users)) return "users is not an object";
  for (const [user, level] of Object.entries(users)) {
    if (!isHistoricalUserId(user)) return "users has a key that is not a user ID";
    if (parseLevelValue(level, version) === null) return "users has a value that is not a power level";
  }
  return null;
}

type Comparison = "same" | "invalid" | { old: number | undefined; new: number | undefined };

function compare(oldObj: JsonObject, newObj: JsonObject, key: string, version: RoomVersion): Comparison {
  const hadOld = hasOwn(oldObj, key);
  const hasNew = hasOwn(newObj, key);
  if (!hadOld && !hasNew) return "same";
  const o = hadOld ? parseLevelValue(oldObj[key], version) : undefined;
  const n = hasNew ? parseLevelValue(newObj[key], version) : undefined;
  if (o === null || n === null) return "invalid";
  if (o !== undefined && n !== undefined && o === n) return "same";
  return { old: o, new: n };
}


/** `content[name]` as an object; `{}` when absent; `null` when present but not an object. */
function subObject(content: JsonObject, name: string): JsonObject | null {
  if (!hasOwn(content, name)) return {};
  const v = content[name];
  return isJsonObject(v) ? v : null;
}

function unionKeys(a: JsonObject, b: JsonObject): Set<string> {
  return new Set([...Object.keys(a), ...Object.keys(b)]);
}
