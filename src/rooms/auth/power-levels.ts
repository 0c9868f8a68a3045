/**
 * `m.room.power_levels` read as numbers, with the spec's defaults.
 *
 * Defaults (m.room.power_levels schema; server-server-api.md "Definitions"): users_default 0,
 * events_default 0, state_default 50, ban 50, kick 50, redact 50, invite 0 — both when a key
 * is missing and when there is no power-levels event at all. With no power-levels event the
 * room creator has 100 and everyone else 0 (v1–v11). In v12 the creators have an infinite
 * level whether or not there is a power-levels event (rooms/v12.md).
 *
 * Two readings of the content:
 * - `parsePowerLevels` is strict: any present value that is not a valid level for the room
 *   version, a non-object `users`/`events`/`notifications`, or a `users` key that is not a
 *   user ID makes the whole content invalid (`null`).
 * - `powerLevelsFromState` reads the power levels in force. An accepted event is valid in
 *   v10+, but v1–v9 only ever validated `users`, so an old room may hold e.g. `"ban": "x"`;
 *   such a value is treated as absent (its default) rather than failing every later check.
 */
import type { RoomVersion } from "../../events/room-versions.js";
import { isHistoricalUserId } from "../../events/ids.js";
import type { JsonObject, JsonValue } from "../../events/types.js";
import { parseLevelValue } from "./power-level-value.js";
import { roomCreators } from "./room-creators.js";
import { type AuthStateLookup, CREATE, POWER_LEVELS, hasOwn } from "./types.js";

export { roomCreators } from "./room-creators.js";

export interface PowerLevels {
  users: Map<string, number>;
  usersDefault: number;
  events: Map<string, number>;
  eventsDefault: number;
  stateDefault: number;
  ban: number;
  kick: number;
  redact: number;
  invite: number;
  notifications: Map<string, number>;
}

/** The scalar keys and their defaults, in the order the auth rules list them. */
export const LEVEL_KEYS = [
  ["users_default", 0],
  ["events_default", 0],
  ["state_default", 50],
  ["ban", 50],
  ["redact", 50],
  ["kick", 50],
  ["invite", 0],
] as const;

export type LevelKey = (typeof LEVEL_KEYS)[number][0];

/** The keyed maps of the content. */
export const LEVEL_MAPS = ["users", "events", "notifications"] as const;

/** Level a user gets with no power-levels event when they are the creator (v1–v11). */
export const CREATOR_DEFAULT_LEVEL = 100;

export function parsePowerLevels(content: JsonObject | undefined, version: RoomVersion): PowerLevels | null {
  return readPowerLevels(content, version, true);
}

function readPowerLevels(content: JsonObject | undefined, version: RoomVersion, strict: boolean): PowerLevels | null {
  const levels = {} as Record<LevelKey, number>;
  for (const [key, dflt] of LEVEL_KEYS) {
    if (!content || !hasOwn(content, key)) {
      levels[key] = dflt;
      continue;
    }
    const v = parseLevelValue(content[key], version);
    if (v === null && strict) return null;
    levels[key] = v ?? dflt;
  }
  const map = (key: (typeof LEVEL_MAPS)[number]): Map<string, number> | null => {
    const out = new Map<string, number>();
    if (!content || !hasOwn(content, key)) return out;
    const raw: JsonValue | undefined = content[key];
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return strict ? null : out;
    for (const [k, rawLevel] of Object.entries(raw)) {
      const level = parseLevelValue(rawLevel, version);
      const keyOk = key !== "users" || isHistoricalUserId(k);
      if (level === null || !keyOk) {
        if (strict) return null;
        continue;
      }
      out.set(k, level);
    }
    return out;
  };
  const users = map("users");
  const events = map("events");
  const notifications = map("notifications");
  if (!users || !events || !notifications) return null;
  return {
    users,
    usersDefault: levels.users_default,
    events,
    eventsDefault: levels.events_default,
    stateDefault: levels.state_default,
    ban: levels.ban,
    kick: levels.kick,
    redact: levels.redact,
    invite: levels.invite,
    notifications,
  };
}

/** Parsed state power levels, cached per content object (events are immutable). */
const cache = new WeakMap<JsonObject, { versionId: string; pl: PowerLevels }>();
const DEFAULTS_BY_VERSION = new Map<string, PowerLevels>();

/** The power levels in force in `state` (defaults when there is no power-levels event). */
export function powerLevelsFromState(state: AuthStateLookup, version: RoomVersion): PowerLevels {
  const content = state.get(POWER_LEVELS, "")?.content;
  if (!content) {
    let d = DEFAULTS_BY_VERSION.get(version.id);
    if (!d) {
      d = readPowerLevels(undefined, version, false)!;
      DEFAULTS_BY_VERSION.set(version.id, d);
    }
    return d;
  }
  const hit = cache.get(content);
  if (hit && hit.versionId === version.id) return hit.pl;
  const pl = readPowerLevels(content, version, false)!;
  cache.set(content, { versionId: version.id, pl });
  return pl;
}

/**
 * A user's power level in `state`. v12 creators: Infinity. No power-levels event: the creator
 * 100 (v1–v11), everyone else 0. Otherwise `users[user]`, else `users_default`.
 */
export function userPowerLevel(userId: string, state: AuthStateLookup, version: RoomVersion): number {
  const create = state.get(CREATE, "");
  if (version.creatorsHaveInfinitePower && create && roomCreators(create, version).has(userId)) return Infinity;
  if (!state.get(POWER_LEVELS, "")) {
    if (!version.creatorsHaveInfinitePower && create && roomCreators(create, version).has(userId)) {
      return CREATOR_DEFAULT_LEVEL;
    }
    return 0;
  }
  const pl = powerLevelsFromState(state, version);
  return pl.users.get(userId) ?? pl.usersDefault;
}

/** server-server-api.md "Required Power Level": `events[type]`, else state_default / events_default. */
export function requiredPowerLevel(type: string, isState: boolean, state: AuthStateLookup, version: RoomVersion): number {
  const pl = powerLevelsFromState(state, version);
  return pl.events.get(type) ?? (isState ? pl.stateDefault : pl.eventsDefault);
}

/** Invite / kick / ban / redact level ("Invite Level, Kick Level, Ban Level, Redact Level"). */
export function namedLevel(name: "invite" | "kick" | "ban" | "redact", state: AuthStateLookup, version: RoomVersion): number {
  return powerLevelsFromState(state, version)[name];
}

