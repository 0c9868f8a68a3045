/**
 * Shared shapes of the authorisation rules (rooms/v1.md … v12.md, "Authorisation rules";
 * server-server-api.md "Authorisation rules").
 *
 * The rules are pure: they read a set of state through `AuthStateLookup` and answer with an
 * `AuthResult`. Which state that is (the event's own auth_events, the state before the event,
 * the current state) is the caller's choice; see server-server-api.md "Checks performed on
 * receipt of a PDU", checks 4–6.
 */
import { stateKey, type JsonObject, type RoomEvent } from "../../events/types.js";
import { isJsonObject } from "../../json.js";

export type AuthResult = { allowed: true } | { allowed: false; reason: string };

/** Read access to the state an event is authorised against: `(type, state_key)` → event. */
export interface AuthStateLookup {
  get(type: string, stateKey: string): RoomEvent | undefined;
}

export const ALLOW: AuthResult = Object.freeze({ allowed: true });

export function deny(reason: string): AuthResult {
  return { allowed: false, reason };
}

/** An `AuthStateLookup` over a list of events (later entries win on the same slot). */
export function stateFromEvents(events: Iterable<RoomEvent>): AuthStateLookup {
  const map = new Map<string, RoomEvent>();
  for (const ev of events) {
    if (ev.stateKey !== undefined) map.set(stateKey(ev.type, ev.stateKey), ev);
  }
  return { get: (type, key) => map.get(stateKey(type, key)) };
}

// Event types the rules look at.
export const CREATE = "m.room.create";
export const MEMBER = "m.room.member";
export const JOIN_RULES = "m.room.join_rules";
export const POWER_LEVELS = "m.room.power_levels";
export const THIRD_PARTY_INVITE = "m.room.third_party_invite";
export const REDACTION = "m.room.redaction";
export const ALIASES = "m.room.aliases";

/** A user's current membership in `state` (`undefined` when there is no member event). */
export function membershipOf(state: AuthStateLookup, userId: string): string | undefined {
  const m = state.get(MEMBER, userId)?.content["membership"];
  return typeof m === "string" ? m : undefined;
}

/** `content[key]` when it is a JSON object (not an array), else `undefined`. */
export function objectField(content: JsonObject, key: string): JsonObject | undefined {
  const v = content[key];
  return isJsonObject(v) ? v : undefined;
}

export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}
