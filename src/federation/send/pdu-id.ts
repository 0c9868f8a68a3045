/**
 * The event ID a /send result entry is keyed by, for PDUs that never became a `RoomEvent`.
 *
 * - v3+: the reference hash of whatever arrived, when it can be computed (it needs the fields
 *   the redaction algorithm keeps to be canonical-JSON encodable), which is the ID the sender
 *   computed too, so it can match our answer to its event.
 * - v1/v2, or when no hash can be computed: the `event_id` the PDU carries, if any.
 * - Unknown room (so unknown version): the carried `event_id` only. A v12 create event names
 *   its room version in its content, so its ID is computed from that.
 * - Otherwise no ID can be named: the PDU gets no entry (the response is keyed by event ID),
 *   and the failure is logged instead.
 */
import { computeEventId } from "../../events/hashes.js";
import { getRoomVersion, type RoomVersion } from "../../events/room-versions.js";
import type { JsonObject } from "../../events/types.js";

export function bestEffortEventId(raw: JsonObject, version: RoomVersion | undefined): string | undefined {
  const v = version ?? createEventVersion(raw);
  if (v) {
    try {
      return computeEventId(raw, v);
    } catch {
      // not computable (malformed): fall back to what it carries
    }
  }
  return typeof raw.event_id === "string" && raw.event_id.startsWith("$") ? raw.event_id : undefined;
}

/** A room-ID-less `m.room.create` (v12 format): the version its content names. */
export function createEventVersion(raw: JsonObject): RoomVersion | undefined {
  if (raw.type !== "m.room.create" || raw.room_id !== undefined) return undefined;
  const content = raw.content;
  if (typeof content !== "object" || content === null || Array.isArray(content)) return undefined;
  const id = content.room_version;
  const v = typeof id === "string" ? getRoomVersion(id) : undefined;
  return v?.roomIdFromCreateEvent ? v : undefined;
}
