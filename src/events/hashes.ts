/**
 * Content hashes, reference hashes, event IDs and v12 room IDs (server-server API "Signing
 * Events": "Calculating the content hash for an event", "Calculating the reference hash for an
 * event"; rooms/v3.md "Event IDs", fragments/v4-event-ids.md, v1-event-ids.md; appendices
 * "Room IDs" for the v12 room ID).
 *
 * SHA-256 comes from node:crypto, not sodium-native: measured on our Node 20 build, hashing
 * 1 KiB took ~2.0 µs with `createHash` against ~4.0 µs with `crypto_hash_sha256` (OpenSSL
 * uses the CPU's SHA extensions; libsodium's portable code does not), and the gap grows with
 * size (4 KiB: ~4.2 µs vs ~14.6 µs).
 */
import { createHash } from "node:crypto";
import { canonicalJson, canonicalJsonBytes, sortedKeys } from "./canonical-json.js";
import { decodeBase64, encodeBase64, encodeBase64Url } from "./base64.js";
import { domainOf, isValidEventId, isValidServerName } from "./ids.js";
import { redactedContent, redactedEssentials, redactionKeepsTopLevel, type EventJson } from "./redaction.js";
import type { RoomVersion } from "./room-versions.js";
import type { JsonObject } from "./types.js";

export function sha256(bytes: Uint8Array): Buffer {
  return createHash("sha256").update(bytes).digest();
}

/**
 * The bytes the content hash covers: the whole event without `unsigned`, `signatures` and
 * `hashes`, as canonical JSON (strict from room v6: fragments/v6-canonical-json.md).
 */
export function contentHashInput(event: EventJson, version: RoomVersion): Buffer {
  const rest: JsonObject = {};
  for (const key in event) {
    if (key === "unsigned" || key === "signatures" || key === "hashes") continue;
    const value = event[key];
    if (value !== undefined) rest[key] = value;
  }
  return canonicalJsonBytes(rest, version.strictCanonicalJson);
}

export function contentHash(event: EventJson, version: RoomVersion): Buffer {
  return sha256(contentHashInput(event, version));
}

/** Does `hashes.sha256` (unpadded base64) match the event's content hash? */
export function checkContentHash(event: EventJson, version: RoomVersion): boolean {
  const claimed = claimedContentHash(event);
  return claimed !== null && claimed.equals(contentHash(event, version));
}

/** The decoded `hashes.sha256` of an event, or `null` when absent or not base64. */
export function claimedContentHash(event: EventJson): Buffer | null {
  const hashes = event.hashes;
  if (typeof hashes !== "object" || hashes === null || Array.isArray(hashes)) return null;
  const text = (hashes as Record<string, unknown>).sha256;
  return typeof text === "string" ? decodeBase64(text) : null;
}

/**
 * The bytes the reference hash covers, which are also the bytes the event's signatures
 * cover: the redacted event without `signatures` and `unsigned`, as canonical JSON.
 */
export function referenceHashInput(event: EventJson, version: RoomVersion): Buffer {
  return canonicalJsonBytes(redactedEssentials(event, version), version.strictCanonicalJson);
}

export interface EventHashInputs {
  /** Canonical redacted event without signatures: what is signed and reference-hashed. */
  readonly reference: Buffer | Error;
  /** Canonical event without unsigned/signatures/hashes: what the content hash covers. */
  readonly content: Buffer | Error;
}

/**
 * Both hash inputs at once. They share every top-level member except `content` (redacted in
 * one, whole in the other) and `hashes` (only in the first), so each member is encoded once
 * and the two texts are assembled from the pieces: on the receipt hot path this halves the
 * canonical-JSON work per event. A member that cannot be encoded (strict JSON, v6+) fails
 * only the form(s) that contain it.
 */
export function eventHashInputs(event: EventJson, version: RoomVersion): EventHashInputs {
  const strict = version.strictCanonicalJson;
  const keep = redactionKeepsTopLevel(version);
  let reference = "{";
  let content = "{";
  let referenceError: Error | undefined;
  let contentError: Error | undefined;
  for (const key of sortedKeys(event)) {
    if (key === "signatures" || key === "unsigned") continue;
    const value = event[key];
    if (value === undefined) continue;
    const name = JSON.stringify(key);
    const inReference = keep.has(key);
    let encoded: string | undefined;
    try {
      encoded = canonicalJson(value, strict);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (key !== "hashes") contentError ??= err;
      if (inReference && key !== "content") referenceError ??= err;
    }
    if (key !== "hashes" && encoded !== undefined) content += (content.length > 1 ? "," : "") + name + ":" + encoded;
    if (!inReference) continue;
    if (key === "content") {
      try {
        reference += (reference.length > 1 ? "," : "") + name + ":" + canonicalJson(redactedContent(event.type, value, version), strict);
      } catch (e) {
        referenceError ??= e instanceof Error ? e : new Error(String(e));
      }
    } else if (encoded !== undefined) {
      reference += (reference.length > 1 ? "," : "") + name + ":" + encoded;
    }
  }
  return {
    reference: referenceError ?? Buffer.from(reference + "}", "utf8"),
    content: contentError ?? Buffer.from(content + "}", "utf8"),
  };
}

export function referenceHash(event: EventJson, version: RoomVersion): Buffer {
  return sha256(referenceHashInput(event, version));
}

/**
 * The event ID for a reference hash: `$` + unpadded base64 (v3, so IDs may hold `+` and `/`)
 * or URL-safe unpadded base64 (v4+). Only for versions whose IDs are hashes.
 */
export function eventIdFromReferenceHash(hash: Uint8Array, version: RoomVersion): string {
  switch (version.eventIdFormat) {
    case "base64":
      return `$${encodeBase64(hash)}`;
    case "base64url":
      return `$${encodeBase64Url(hash)}`;
    case "carried":
      throw new Error(`room version ${version.id} carries event IDs; they are not derived from hashes`);
  }
}

/**
 * The event's ID. v1/v2 carry it in `event_id` (`$opaque:domain`; rooms/fragments/
 * v1-event-ids.md), so it must be present and well-formed; v3+ compute it from the reference
 * hash, ignoring any `event_id` the sender included.
 */
export function computeEventId(event: EventJson, version: RoomVersion): string {
  if (version.eventIdFormat === "carried") {
    const id = event.event_id;
    if (typeof id !== "string" || !isValidCarriedEventId(id)) {
      throw new Error(`room version ${version.id} events must carry a valid event_id ($opaque:domain)`);
    }
    return id;
  }
  return eventIdFromReferenceHash(referenceHash(event, version), version);
}

/** v1/v2 event IDs: `$opaque_id:domain` with a valid server name, ≤ 255 bytes. */
export function isValidCarriedEventId(id: string): boolean {
  if (!isValidEventId(id)) return false;
  const colon = id.indexOf(":");
  if (colon < 2) return false;
  const domain = domainOf(id);
  return domain !== null && isValidServerName(domain);
}

/**
 * The ID of the room a `m.room.create` event creates. v12 (appendices "Room IDs"): the create
 * event's ID with the `!` sigil, i.e. `!` + URL-safe unpadded base64 of its reference hash.
 * Earlier versions allocate the room ID freely and carry it in the create event's `room_id`.
 */
export function roomIdForCreateEvent(createEvent: EventJson, version: RoomVersion): string {
  if (createEvent.type !== "m.room.create") throw new Error("not an m.room.create event");
  if (version.roomIdFromCreateEvent) {
    return `!${encodeBase64Url(referenceHash(createEvent, version))}`;
  }
  const roomId = createEvent.room_id;
  if (typeof roomId !== "string") throw new Error(`room version ${version.id} create events must carry room_id`);
  return roomId;
}
