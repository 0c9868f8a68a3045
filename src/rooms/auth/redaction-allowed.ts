/**
 * Redactions.
 *
 * v1/v2 (rooms/v1.md rule 11, part of the auth rules): an `m.room.redaction` is allowed if
 * the sender has the redact level, or if the domain of the redacted event's ID equals the
 * domain of the redaction's own event ID (v1/v2 event IDs are `$opaque:domain`).
 *
 * v3+ (fragments/v3-handling-redactions.md): the auth rules no longer look at the redact
 * level; instead a redaction that passed them is only *applied* (and sent to clients) once
 * both events are known and valid and either the redaction's sender has the redact level
 * (even without the level to send the redacted type) or the two senders share a domain.
 */
import { domainOf } from "../../events/ids.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { RoomEvent } from "../../events/types.js";
import { namedLevel, userPowerLevel } from "./power-levels.js";
import { ALLOW, type AuthResult, type AuthStateLookup, deny } from "./types.js";

/** v1/v2 auth rule 11. */
export function checkRedactionV1(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion): AuthResult {
  if (userPowerLevel(ev.sender, state, version) >= namedLevel("redact", state, version)) return ALLOW;
  const redactedDomain = ev.redacts !== undefined ? domainOf(ev.redacts) : null;
  if (redactedDomain !== null && redactedDomain === domainOf(ev.eventId)) return ALLOW;
  return deny("m.room.redaction: sender is below the redact level and the redacted event is from another domain");
}

/**
 * May `redaction` be applied to `redacted`? `state` is the state the redaction is checked
 * against (normally the state before the redaction). Both events must already have passed
 * their own checks; a redaction that names another event or sits in another room never
 * applies. For v1/v2 this is rule 11 again: there, passing the auth rules means applying.
 */
export function redactionAllowed(redaction: RoomEvent, redacted: RoomEvent, state: AuthStateLookup, version: RoomVersion): boolean {
  if (redaction.redacts !== redacted.eventId || redaction.roomId !== redacted.roomId) return false;
  if (version.redactionInAuthRules) return checkRedactionV1(redaction, state, version).allowed;
  if (userPowerLevel(redaction.sender, state, version) >= namedLevel("redact", state, version)) return true;
  const senderDomain = domainOf(redaction.sender);
  return senderDomain !== null && senderDomain === domainOf(redacted.sender);
}
