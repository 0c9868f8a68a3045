/**
 * Auth rule 1, `m.room.create` (rooms/v1.md … v12.md). The create event is authorised on its
 * own, before any rule about auth_events or room state applies.
 *
 * 1. Any `prev_events` → reject.
 * 2. v1–v11: the domain of `room_id` must be the domain of `sender`.
 *    v12: the event must have no `room_id` at all (the room ID is derived from its event ID).
 * 3. `content.room_version`, if present, must be a recognised room version.
 * 4. v1–v10: `content.creator` must be present.
 *    v12: `content.additional_creators`, if present, must be an array of strings that each
 *    pass the user-ID validation applied to `sender`.
 * 5. Otherwise allow.
 */
import { domainOf, isHistoricalUserId } from "../../events/ids.js";
import { getRoomVersion, type RoomVersion } from "../../events/room-versions.js";
import type { JsonValue, RoomEvent } from "../../events/types.js";
import { hasAdditionalCreators } from "./room-creators.js";
import { ALLOW, type AuthResult, deny, hasOwn } from "./types.js";

export function checkCreateEvent(ev: RoomEvent, version: RoomVersion): AuthResult {
  if (ev.prevEvents.length > 0) return deny("m.room.create: has prev_events");

  if (version.roomIdFromCreateEvent) {
    if (ev.pdu.room_id !== undefined) return deny("m.room.create: has a room_id (the room ID is derived from the event ID)");
  } else {
    const roomDomain = domainOf(ev.roomId);
    if (roomDomain === null || roomDomain !== domainOf(ev.sender)) {
      return deny("m.room.create: room_id domain does not match sender domain");
    }
  }

  if (hasOwn(ev.content, "room_version")) {
    const rv = ev.content["room_version"];
    if (typeof rv !== "string" || getRoomVersion(rv) === undefined) {
      return deny("m.room.create: content.room_version is not a recognised room version");
    }
  }

  if (version.createHasCreator && !hasOwn(ev.content, "creator")) {
    return deny("m.room.create: content has no creator");
  }

  if (hasAdditionalCreators(version) && hasOwn(ev.content, "additional_creators")) {
    if (!isValidAdditionalCreators(ev.content["additional_creators"])) {
      return deny("m.room.create: additional_creators is not an array of valid user IDs");
    }
  }
  return ALLOW;
}

/**
 * v12 rule 1.4: an array of strings, each passing "the same user ID validation applied to
 * `sender`". Senders over federation follow the historical grammar (appendices, "Historical
 * User IDs": servers MUST accept those), so that is the validation used here.
 */
export function isValidAdditionalCreators(value: JsonValue | undefined): boolean {
  return Array.isArray(value) && value.every((u) => typeof u === "string" && isHistoricalUserId(u));
}
