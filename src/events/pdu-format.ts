/**
 * Check 1 of "Checks performed on receipt of a PDU" (server-server API): the event must match
 * its room version's event format, or it is dropped. The schemas are
 * data/api/server-server/definitions/pdu_v1 … pdu_v12 (+ components/); the size limits are
 * client-server API "Size limits"; strict canonical JSON from v6 is
 * rooms/fragments/v6-canonical-json.md ("discarding of events over federation").
 *
 * Hand-written rather than zod: every inbound PDU passes through here, and one pass of plain
 * property checks plus one allocation-free walk for size/number strictness is far cheaper than
 * a schema library building issue lists. Unknown top-level fields are allowed (the schemas do
 * not forbid them, and redaction drops them anyway).
 *
 * Field rules, by event format:
 *   all      sender (historical user ID), origin_server_ts (integer), type (string),
 *            state_key (string, optional), content (object), depth (integer 0..maxDepth),
 *            hashes ({sha256: string}), signatures ({server: {key_id: string}}),
 *            unsigned (object, optional), room_id (string; may be absent only on a v12 create)
 *   v1       event_id `$opaque:domain`; prev/auth_events as `[event_id, {sha256}]` pairs;
 *            top-level redacts (string, optional)
 *   v3–v10   prev/auth_events as event IDs; top-level redacts (string, optional)
 *   v11+     prev/auth_events as event IDs; `content.redacts` of m.room.redaction (string, optional)
 *   v12      room_id is `!` + 43 URL-safe base64 characters (the create event's hash)
 */
import { canonicalJsonSize, findStrictViolation } from "./canonical-json.js";
import { isValidCarriedEventId } from "./hashes.js";
import { isHistoricalUserId, isValidEventId, isValidRoomId, MAX_ID_BYTES } from "./ids.js";
import type { RoomVersion } from "./room-versions.js";
import type { JsonObject, Pdu } from "./types.js";

/** Client-server API "Size limits": the whole event, canonical JSON, signatures included. */
export const MAX_PDU_BYTES = 65536;
/** "Size limits": `type` and `state_key` are at most 255 bytes. */
export const MAX_KEY_BYTES = 255;
/** pdu_v*.yaml: "Must contain less than or equal to 20 events." */
export const MAX_PREV_EVENTS = 20;
/** pdu_v*.yaml: "Must contain less than or equal to 10 events." */
export const MAX_AUTH_EVENTS = 10;

export type PduFormatResult = { ok: true; pdu: Pdu } | { ok: false; reason: string };

export interface PduFormatOptions {
  /** Lift the prev_events/auth_events count limits (backfill and other historical fetches,
   * where events created under older, laxer servers must still be accepted). */
  relaxCounts?: boolean;
}

const V12_ROOM_ID = /^![A-Za-z0-9_-]{43}$/;

export function checkPduFormat(raw: unknown, version: RoomVersion, opts?: PduFormatOptions): PduFormatResult {
  const reason = formatProblem(raw, version, opts?.relaxCounts === true);
  return reason === null ? { ok: true, pdu: raw as Pdu } : { ok: false, reason };
}

/** The first thing wrong with `raw`, or null. Ordered cheapest first. */
function formatProblem(raw: unknown, version: RoomVersion, relaxCounts: boolean): string | null {
  if (!isObject(raw)) return "event is not a JSON object";
  const ev = raw;

  const type = ev.type;
  if (type === undefined) return "missing required field 'type'";
  if (typeof type !== "string") return "'type' must be a string";
  if (tooLong(type, MAX_KEY_BYTES)) return `'type' exceeds ${MAX_KEY_BYTES} bytes`;
  // State slots are keyed as type NUL state_key (src/events/types.ts), so a NUL in a type
  // would be ambiguous; no legitimate event type contains one.
  if (type.includes("\u0000")) return "'type' contains a NUL character";

  const stateKey = ev.state_key;
  if (stateKey !== undefined) {
    if (typeof stateKey !== "string") return "'state_key' must be a string";
    if (tooLong(stateKey, MAX_KEY_BYTES)) return `'state_key' exceeds ${MAX_KEY_BYTES} bytes`;
  }

  const sender = ev.sender;
  if (sender === undefined) return "missing required field 'sender'";
  if (typeof sender !== "string") return "'sender' must be a string";
  if (tooLong(sender, MAX_ID_BYTES)) return `'sender' exceeds ${MAX_ID_BYTES} bytes`;
  if (!isHistoricalUserId(sender)) return "'sender' is not a valid user ID";

  const roomIdProblem = checkRoomId(ev.room_id, type, version);
  if (roomIdProblem !== null) return roomIdProblem;

  const ts = ev.origin_server_ts;
  if (ts === undefined) return "missing required field 'origin_server_ts'";
  if (typeof ts !== "number" || !Number.isInteger(ts)) return "'origin_server_ts' must be an integer";

  const content = ev.content;
  if (content === undefined) return "missing required field 'content'";
  if (!isObject(content)) return "'content' must be an object";

  const depth = ev.depth;
  if (depth === undefined) return "missing required field 'depth'";
  if (typeof depth !== "number" || !Number.isInteger(depth)) return "'depth' must be an integer";
  if (depth < 0) return "'depth' must not be negative";
  if (depth > version.maxDepth) return `'depth' exceeds the room version's maximum (${version.maxDepth})`;

  const refsProblem =
    checkReferences(ev.prev_events, "prev_events", version, relaxCounts ? Infinity : MAX_PREV_EVENTS) ??
    checkReferences(ev.auth_events, "auth_events", version, relaxCounts ? Infinity : MAX_AUTH_EVENTS);
  if (refsProblem !== null) return refsProblem;

  const hashes = ev.hashes;
  if (hashes === undefined) return "missing required field 'hashes'";
  if (!isObject(hashes)) return "'hashes' must be an object";
  if (hashes.sha256 === undefined) return "missing required field 'hashes.sha256'";
  if (typeof hashes.sha256 !== "string") return "'hashes.sha256' must be a string";

  const signaturesProblem = checkSignatures(ev.signatures);
  if (signaturesProblem !== null) return signaturesProblem;

  if (ev.unsigned !== undefined && !isObject(ev.unsigned)) return "'unsigned' must be an object";

  if (version.eventIdFormat === "carried") {
    const eventId = ev.event_id;
    if (eventId === undefined) return "missing required field 'event_id'";
    if (typeof eventId !== "string") return "'event_id' must be a string";
    if (tooLong(eventId, MAX_ID_BYTES)) return `'event_id' exceeds ${MAX_ID_BYTES} bytes`;
    if (!isValidCarriedEventId(eventId)) return "'event_id' is not a valid event ID ($opaque:domain)";
  }

  const redactsProblem = version.redactsInContent
    ? type === "m.room.redaction"
      ? checkRedacts(content.redacts, "content.redacts")
      : null
    : checkRedacts(ev.redacts, "redacts");
  if (redactsProblem !== null) return redactsProblem;

  return checkEncoding(ev, version);
}

function checkRoomId(roomId: unknown, type: string, version: RoomVersion): string | null {
  if (roomId === undefined) {
    // pdu_v12 / room_id_v12.yaml: "Omitted from m.room.create events." Whether a create that
    // does carry one is acceptable is auth rule 1.2's call (it rejects), not the format's.
    if (version.roomIdFromCreateEvent && type === "m.room.create") return null;
    return "missing required field 'room_id'";
  }
  if (typeof roomId !== "string") return "'room_id' must be a string";
  if (tooLong(roomId, MAX_ID_BYTES)) return `'room_id' exceeds ${MAX_ID_BYTES} bytes`;
  if (version.roomIdFromCreateEvent) {
    if (!V12_ROOM_ID.test(roomId)) return "'room_id' is not a room ID of this room version (! + create event hash)";
  } else if (!isValidRoomId(roomId)) {
    return "'room_id' is not a valid room ID";
  }
  return null;
}

function checkReferences(refs: unknown, field: string, version: RoomVersion, max: number): string | null {
  if (refs === undefined) return `missing required field '${field}'`;
  if (!Array.isArray(refs)) return `'${field}' must be an array`;
  if (refs.length > max) return `'${field}' has ${refs.length} entries, more than the limit of ${max}`;
  const pairs = version.eventFormat === "v1";
  for (let i = 0; i < refs.length; i++) {
    const ref: unknown = refs[i];
    if (pairs) {
      // pdu_v1.yaml: [event_id, {sha256: hash}]
      if (!Array.isArray(ref) || ref.length !== 2) return `'${field}[${i}]' must be an [event_id, hashes] pair`;
      const [id, hash] = ref as unknown[];
      if (typeof id !== "string" || !isValidEventId(id)) return `'${field}[${i}][0]' is not a valid event ID`;
      if (!isObject(hash)) return `'${field}[${i}][1]' must be an object`;
      if (typeof hash.sha256 !== "string") return `'${field}[${i}][1].sha256' must be a string`;
    } else if (typeof ref !== "string" || !isValidEventId(ref)) {
      return `'${field}[${i}]' is not a valid event ID`;
    }
  }
  return null;
}

function checkSignatures(signatures: unknown): string | null {
  if (signatures === undefined) return "missing required field 'signatures'";
  if (!isObject(signatures)) return "'signatures' must be an object";
  for (const server in signatures) {
    const byKey = signatures[server];
    if (!isObject(byKey)) return `'signatures.${server}' must be an object`;
    for (const keyId in byKey) {
      if (typeof byKey[keyId] !== "string") return `'signatures.${server}.${keyId}' must be a string`;
    }
  }
  return null;
}

function checkRedacts(redacts: unknown, field: string): string | null {
  if (redacts === undefined) return null;
  if (typeof redacts !== "string") return `'${field}' must be a string`;
  if (!isValidEventId(redacts)) return `'${field}' is not a valid event ID`;
  return null;
}

/**
 * Strict numbers (v6+) and the 64 KiB limit, in one walk. `unsigned` is left out of the size:
 * it is rewritten in transit (age, stripped state), so counting it would let two servers reach
 * different verdicts on the same signed event; the spec's limit is on the event "including any
 * signatures", which this measures.
 */
function checkEncoding(ev: JsonObject, version: RoomVersion): string | null {
  const strict = version.strictCanonicalJson;
  const measured = ev.unsigned === undefined ? ev : withoutUnsigned(ev);
  let size: number;
  try {
    size = canonicalJsonSize(measured, strict);
  } catch {
    const path = strict ? findStrictViolation(measured) : null;
    return path !== null ? strictReason(path, version) : "event is not encodable as canonical JSON";
  }
  // `unsigned` is exempt from the size but not from strictness: "anywhere" in the event.
  if (strict && ev.unsigned !== undefined) {
    const path = findStrictViolation(ev.unsigned, "unsigned");
    if (path !== null) return strictReason(path, version);
  }
  if (size > MAX_PDU_BYTES) return `event is ${size} bytes as canonical JSON, more than the limit of ${MAX_PDU_BYTES}`;
  return null;
}

function strictReason(path: string, version: RoomVersion): string {
  return `'${path}' is not an integer in the canonical JSON range (room version ${version.id} requires strict canonical JSON)`;
}

function withoutUnsigned(ev: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key in ev) if (key !== "unsigned") out[key] = ev[key]!;
  return out;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Is `s` longer than `max` UTF-8 bytes? A UTF-16 code unit is 1–3 bytes, so most strings
 * are decided by their length without encoding. */
function tooLong(s: string, max: number): boolean {
  if (s.length > max) return true;
  if (s.length * 3 <= max) return false;
  return Buffer.byteLength(s, "utf8") > max;
}
