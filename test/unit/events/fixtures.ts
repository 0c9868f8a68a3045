/** Shared helpers for the event unit tests: deterministic keys and event skeletons. */
import { getRoomVersion, type RoomVersion } from "../../../src/events/room-versions.js";
import { signingKeyFromSeed, type SigningKey } from "../../../src/events/signing-json.js";
import type { JsonObject } from "../../../src/events/types.js";
import type { ServerKey, ServerKeyLookup } from "../../../src/events/verify-event.js";

export const V = (id: string): RoomVersion => {
  const v = getRoomVersion(id);
  if (!v) throw new Error(`no room version ${id}`);
  return v;
};

export const ALL_VERSIONS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

export function keyFor(keyId: string, seedByte: number): SigningKey {
  return signingKeyFromSeed(keyId, Buffer.alloc(32, seedByte));
}

/** A message event in the version's shape (v1/v2 carry event_id and use reference pairs). */
export function messageEvent(version: RoomVersion, overrides: JsonObject = {}): JsonObject {
  const carried = version.eventIdFormat === "carried";
  const ev: JsonObject = {
    room_id: version.roomIdFromCreateEvent ? "!" + "A".repeat(43) : "!room:origin.test",
    sender: "@alice:origin.test",
    origin_server_ts: 1_700_000_000_000,
    type: "m.room.message",
    content: { msgtype: "m.text", body: "hello" },
    prev_events: carried ? [["$prev:origin.test", { sha256: "aGFzaA" }]] : ["$prevevent"],
    auth_events: carried ? [["$auth:origin.test", { sha256: "aGFzaA" }]] : ["$authevent"],
    depth: 10,
    hashes: { sha256: "" },
    signatures: {},
    unsigned: { age: 5 },
  };
  if (carried) ev.event_id = "$msg1:origin.test";
  return { ...ev, ...overrides };
}

/** A key directory: `{server: {keyId: ServerKey}}` → lookup function. */
export function lookupFrom(dir: Record<string, Record<string, ServerKey>>): ServerKeyLookup {
  return (server, keyId) => dir[server]?.[keyId];
}

export const FOREVER = Number.MAX_SAFE_INTEGER;
