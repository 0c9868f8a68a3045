/**
 * The authorisation rules of room versions 1–12, against a given set of state
 * (rooms/v1.md … v12.md "Authorisation rules"; server-server-api.md "Authorisation rules").
 *
 * The rules, in order (numbers as in v12; v1–v5 have the aliases rule, v6–v11 lack v12's
 * rule 2, and v1/v2 end with the redaction rule):
 *
 *  1. m.room.create → create rules (create-rules.ts). Nothing below applies to it.
 *  2. v12: room_id must be the create event's ID with `!` instead of `$`.
 *  3. (auth_events list rules: check-auth-events.ts, only when checking against auth_events)
 *  4. create has m.federate: false and the sender's domain is not the create sender's → reject.
 *     v1–v5: m.room.aliases → aliases rule (aliases-rule.ts).
 *  5. m.room.member → membership rules (member-rules.ts).
 *  6. sender not joined → reject.
 *  7. m.room.third_party_invite → allow iff sender level ≥ invite level.
 *  8. sender level below the event type's required level → reject.
 *  9. state_key starts with `@` and is not the sender → reject.
 * 10. m.room.power_levels → power-levels rules (power-levels-rule.ts).
 *     v1/v2: m.room.redaction → redaction rule (redaction-allowed.ts).
 * 11. allow.
 *
 * Every rule needs the room's create event, so `state` must hold it: with no
 * `m.room.create` in the state the event is rejected (v1–v11 rule 2.4 says as much for
 * auth_events; for v12, whose auth_events never hold it, the caller adds the create event the
 * room ID names — state resolution too, whose iterative auth checks start from empty state).
 */
import { domainOf, roomIdOfCreateEvent } from "../../events/ids.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { RoomEvent } from "../../events/types.js";
import { checkAliasesEvent } from "./aliases-rule.js";
import { checkCreateEvent } from "./create-rules.js";
import { checkMemberEvent } from "./member-rules.js";
import { checkPowerLevelsEvent } from "./power-levels-rule.js";
import { namedLevel, requiredPowerLevel, userPowerLevel } from "./power-levels.js";
import { checkRedactionV1 } from "./redaction-allowed.js";
import {
  ALIASES, ALLOW, type AuthResult, type AuthStateLookup, CREATE, MEMBER, POWER_LEVELS, REDACTION,
  THIRD_PARTY_INVITE, deny, membershipOf,
} from "./types.js";

export function checkAuthRules(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion): AuthResult {
  if (ev.type === CREATE) return checkCreateEvent(ev, version);

  const create = state.get(CREATE, "");
  if (!create) return deny("no m.room.create event in the auth state");
  if (version.roomIdFromCreateEvent && ev.roomId !== roomIdOfCreateEvent(create.eventId)) {
    return deny("room_id is not the ID of the room's m.room.create event");
  }

  if (create.content["m.federate"] === false && domainOf(ev.sender) !== domainOf(create.sender)) {
    return deny("m.federate is false and the sender is not from the creator's server");
  }

  if (version.aliasesAuthRule && ev.type === ALIASES) return checkAliasesEvent(ev);
  if (ev.type === MEMBER) return checkMemberEvent(ev, state, version, create);

  if (membershipOf(state, ev.sender) !== "join") return deny("sender is not joined to the room");

  const senderLevel = userPowerLevel(ev.sender, state, version);
  if (ev.type === THIRD_PARTY_INVITE) {
    if (senderLevel >= namedLevel("invite", state, version)) return ALLOW;
    return deny("m.room.third_party_invite: sender power level is below the invite level");
  }

  const isState = ev.stateKey !== undefined;
  if (requiredPowerLevel(ev.type, isState, state, version) > senderLevel) {
    return deny(`sender power level is below the level required for ${ev.type}`);
  }
  if (ev.stateKey !== undefined && ev.stateKey.startsWith("@") && ev.stateKey !== ev.sender) {
    return deny("state_key starts with @ and does not match the sender");
  }

  if (ev.type === POWER_LEVELS) return checkPowerLevelsEvent(ev, state, version);
  if (version.redactionInAuthRules && ev.type === REDACTION) return checkRedactionV1(ev, state, version);
  return ALLOW;
}
