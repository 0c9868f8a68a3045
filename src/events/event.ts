/**
 * Between the federation form (`Pdu`) and the normalised view (`RoomEvent`) the rooms engine
 * works with; see src/events/types.ts for why there are two.
 *
 * - prev/auth references: `[event_id, {sha256}]` pairs in v1/v2 (pdu_v1.yaml), plain event
 *   IDs from v3 (pdu_v3.yaml onwards).
 * - `redacts`: top level before v11, `content.redacts` from v11 (rooms/v11.md "Moving the
 *   `redacts` property…").
 * - room ID: carried, except on a v12 `m.room.create`, whose room ID is its own event ID with
 *   the `!` sigil (appendices "Room IDs").
 */
import { encodeBase64 } from "./base64.js";
import type { RoomVersion } from "./room-versions.js";
import type { EventReferenceV1, JsonValue, Pdu, RoomEvent } from "./types.js";

/**
 * Build the normalised view of a PDU that has passed the format check. `eventId` is the
 * verified ID (carried or computed); `roomId` overrides the carried one when the caller already
 * knows it. Throws when no room ID can be determined (only possible on unchecked input).
 */
export function toRoomEvent(pdu: Pdu, version: RoomVersion, eventId: string, roomId?: string): RoomEvent {
  const resolvedRoomId = roomId ?? roomIdOf(pdu, version, eventId);
  return {
    eventId,
    roomId: resolvedRoomId,
    type: pdu.type,
    stateKey: pdu.state_key,
    sender: pdu.sender,
    content: pdu.content,
    prevEvents: referencedIds(pdu.prev_events),
    authEvents: referencedIds(pdu.auth_events),
    depth: pdu.depth,
    originServerTs: pdu.origin_server_ts,
    redacts: redactsOf(pdu, version),
    pdu,
  };
}

function roomIdOf(pdu: Pdu, version: RoomVersion, eventId: string): string {
  if (typeof pdu.room_id === "string") return pdu.room_id;
  if (version.roomIdFromCreateEvent && pdu.type === "m.room.create") return `!${eventId.slice(1)}`;
  throw new Error(`event ${eventId} has no room_id`);
}

/** The event IDs a prev_events / auth_events list references, whatever its format. */
export function referencedIds(refs: Pdu["prev_events"]): string[] {
  const out: string[] = new Array(refs.length);
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i] as string | EventReferenceV1;
    out[i] = typeof ref === "string" ? ref : ref[0];
  }
  return out;
}

/** The event an `m.room.redaction` redacts, from wherever this room version keeps it. */
export function redactsOf(pdu: Pdu, version: RoomVersion): string | undefined {
  if (pdu.type !== "m.room.redaction") return undefined;
  const value: JsonValue | undefined = version.redactsInContent ? pdu.content.redacts : pdu.redacts;
  return typeof value === "string" ? value : undefined;
}

/** Reference hash of an already-known event: raw bytes or unpadded base64. */
export type ReferenceHashLookup = (eventId: string) => Uint8Array | string | undefined;

/**
 * prev_events / auth_events for an outgoing event. v1/v2 need `[id, {sha256}]` pairs, whose
 * hash is the referenced event's reference hash, so they need `referenceHashOf`; later
 * versions list the IDs and never call it. Throws if a v1/v2 hash is unknown: an outgoing
 * reference with a made-up hash would be a lie every other server records.
 */
export function eventReferences(
  ids: readonly string[],
  version: RoomVersion,
  referenceHashOf?: ReferenceHashLookup,
): string[] | EventReferenceV1[] {
  if (version.eventFormat !== "v1") return [...ids];
  return ids.map((id): EventReferenceV1 => {
    const hash = referenceHashOf?.(id);
    if (hash === undefined) throw new Error(`no reference hash known for ${id}`);
    return [id, { sha256: typeof hash === "string" ? hash : encodeBase64(hash) }];
  });
}
