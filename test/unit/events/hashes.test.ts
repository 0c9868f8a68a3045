/**
 * Content hash, reference hash, event IDs per version and the v12 room ID
 * (server-server "Calculating the reference/content hash"; rooms v1/v3/v4 event IDs; v12 room IDs).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeBase64, encodeBase64Url } from "../../../src/events/base64.js";
import { createEventIdOfRoom, roomIdOfCreateEvent } from "../../../src/events/ids.js";
import {
  checkContentHash,
  computeEventId,
  contentHash,
  referenceHash,
  roomIdForCreateEvent,
} from "../../../src/events/hashes.js";
import { hashAndSignEvent } from "../../../src/events/sign-event.js";
import type { JsonObject } from "../../../src/events/types.js";
import { ALL_VERSIONS, V, keyFor, messageEvent } from "./fixtures.js";

const sha = (text: string) => createHash("sha256").update(text, "utf8").digest();

describe("reference hash and event IDs", () => {
  // Hand-written canonical JSON of the redacted event, so the test does not lean on our own
  // canonical encoder or redaction: content, unsigned, signatures and unknown keys gone.
  const event: JsonObject = {
    type: "m.room.message",
    room_id: "!r:d",
    sender: "@u:d",
    origin_server_ts: 1,
    depth: 1,
    content: { body: "x" },
    prev_events: [],
    auth_events: [],
    hashes: { sha256: "abc" },
    signatures: { d: { "ed25519:1": "sig" } },
    unsigned: { age: 1 },
    extra: "dropped by redaction",
  };
  const redactedText =
    '{"auth_events":[],"content":{},"depth":1,"hashes":{"sha256":"abc"},"origin_server_ts":1,"prev_events":[],"room_id":"!r:d","sender":"@u:d","type":"m.room.message"}';

  it("is sha256 of the redacted event without signatures/unsigned", () => {
    for (const id of ["3", "4", "11"]) expect(referenceHash(event, V(id))).toEqual(sha(redactedText));
  });

  it("v3 uses standard unpadded base64, v4+ the URL-safe alphabet", () => {
    expect(computeEventId(event, V("3"))).toBe("$" + encodeBase64(sha(redactedText)));
    for (const id of ["4", "5", "6", "10", "11", "12"]) {
      expect(computeEventId(event, V(id))).toBe("$" + encodeBase64Url(sha(redactedText)));
    }
  });

  it("differs between v3 and v4 exactly in + / vs - _ (found an ID with both alphabets' characters)", () => {
    let found = false;
    for (let i = 0; i < 200 && !found; i++) {
      const ev = { ...event, depth: i };
      const v3id = computeEventId(ev, V("3"));
      if (!/[+/]/.test(v3id)) continue;
      found = true;
      const v4id = computeEventId(ev, V("4"));
      expect(v3id).toMatch(/^\$[A-Za-z0-9+/]{43}$/);
      expect(v4id).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
      expect(v4id).toBe(v3id.replace(/\+/g, "-").replace(/\//g, "_"));
    }
    expect(found).toBe(true);
  });

  it("ignores what redaction drops: content, unsigned, signatures", () => {
    const v = V("10");
    const id = computeEventId(event, v);
    expect(computeEventId({ ...event, content: { body: "other" } }, v)).toBe(id);
    expect(computeEventId({ ...event, unsigned: { age: 99 } }, v)).toBe(id);
    expect(computeEventId({ ...event, signatures: {} }, v)).toBe(id);
    expect(computeEventId({ ...event, depth: 2 }, v)).not.toBe(id);
  });

  it("v1/v2 return the carried event_id and reject a missing or malformed one", () => {
    for (const id of ["1", "2"]) {
      expect(computeEventId({ ...event, event_id: "$abc:origin.test" }, V(id))).toBe("$abc:origin.test");
      expect(() => computeEventId(event, V(id))).toThrow(/event_id/);
      expect(() => computeEventId({ ...event, event_id: "$nodomain" }, V(id))).toThrow(/event_id/);
      expect(() => computeEventId({ ...event, event_id: "abc:origin.test" }, V(id))).toThrow(/event_id/);
      expect(() => computeEventId({ ...event, event_id: 5 }, V(id))).toThrow(/event_id/);
    }
  });

  it("v3+ ignore a stray event_id when computing the ID (it is hashed, not trusted)", () => {
    const v = V("4");
    const withId = { ...event, event_id: "$claimed:evil.test" };
    expect(computeEventId(withId, v)).not.toBe("$claimed:evil.test");
    expect(computeEventId(withId, v)).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
  });
});

describe("content hash", () => {
  it("covers the whole event except unsigned, signatures and hashes", () => {
    const v = V("6");
    // Nested objects have sorted keys, so JSON.stringify of each value is already canonical.
    const ev = messageEvent(v, { content: { body: "hello", msgtype: "m.text" } });
    const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = ev;
    const text = "{" + Object.keys(rest).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(rest[k])}`).join(",") + "}";
    expect(contentHash(ev, v)).toEqual(sha(text));
    const noisy = { ...ev, unsigned: { age: 1 }, signatures: { a: {} }, hashes: { sha256: "x" } };
    expect(contentHash(noisy, v)).toEqual(contentHash(ev, v));
  });

  it.each(ALL_VERSIONS)("room v%s: a signed event passes, any change to covered fields is detected", (id) => {
    const v = V(id);
    const signed = hashAndSignEvent(messageEvent(v), v, "origin.test", keyFor("ed25519:k", 1));
    expect(checkContentHash(signed, v)).toBe(true);
    expect(checkContentHash({ ...signed, content: { body: "tampered" } }, v)).toBe(false);
    expect(checkContentHash({ ...signed, extra_field: 1 }, v)).toBe(false);
    expect(checkContentHash({ ...signed, unsigned: { age: 123456 } }, v)).toBe(true);
  });

  it("fails cleanly on a missing or non-base64 claimed hash", () => {
    const v = V("4");
    const ev = messageEvent(v);
    expect(checkContentHash({ ...ev, hashes: {} }, v)).toBe(false);
    expect(checkContentHash({ ...ev, hashes: { sha256: "!!!not base64" } }, v)).toBe(false);
    expect(checkContentHash({ ...ev, hashes: "x" }, v)).toBe(false);
    const { hashes: _h, ...noHashes } = ev;
    expect(checkContentHash(noHashes, v)).toBe(false);
  });

  it("accepts the claimed hash in padded or URL-safe base64 (decoders SHOULD accept either)", () => {
    const v = V("4");
    const ev = messageEvent(v);
    const raw = contentHash(ev, v);
    expect(checkContentHash({ ...ev, hashes: { sha256: raw.toString("base64") } }, v)).toBe(true);
    expect(checkContentHash({ ...ev, hashes: { sha256: encodeBase64Url(raw) } }, v)).toBe(true);
  });
});

describe("v12 room ID", () => {
  const v12 = V("12");
  const create: JsonObject = {
    type: "m.room.create",
    state_key: "",
    sender: "@creator:origin.test",
    origin_server_ts: 1,
    content: { room_version: "12" },
    prev_events: [],
    auth_events: [],
    depth: 1,
    hashes: { sha256: "x" },
    signatures: {},
  };

  it("is ! + the URL-safe reference hash of the create event, i.e. its event ID with a ! sigil", () => {
    const roomId = roomIdForCreateEvent(create, v12);
    expect(roomId).toBe("!" + encodeBase64Url(referenceHash(create, v12)));
    expect(roomId).toMatch(/^![A-Za-z0-9_-]{43}$/);
    expect(roomId.slice(1)).toBe(computeEventId(create, v12).slice(1));
    // The ID pair of src/events/ids.ts names one from the other.
    expect(roomIdOfCreateEvent(computeEventId(create, v12))).toBe(roomId);
    expect(createEventIdOfRoom(roomId)).toBe(computeEventId(create, v12));
  });

  it("covers the whole create content (v11 redaction keeps it)", () => {
    const other = { ...create, content: { room_version: "12", additional_creators: ["@b:x"] } };
    expect(roomIdForCreateEvent(other, v12)).not.toBe(roomIdForCreateEvent(create, v12));
  });

  it("older versions carry the room ID; non-create events are refused", () => {
    expect(roomIdForCreateEvent({ ...create, room_id: "!old:origin.test" }, V("11"))).toBe("!old:origin.test");
    expect(() => roomIdForCreateEvent(create, V("11"))).toThrow(/room_id/);
    expect(() => roomIdForCreateEvent({ ...create, type: "m.room.message" }, v12)).toThrow(/m.room.create/);
  });
});

describe("eventHashInputs", () => {
  it("builds exactly the two canonical forms the separate functions build, for every version", async () => {
    const { eventHashInputs, contentHashInput, referenceHashInput } = await import("../../../src/events/hashes.js");
    const { ROOM_VERSIONS } = await import("../../../src/events/room-versions.js");
    const events = [
      { type: "m.room.message", room_id: "!r:x", sender: "@a:x", origin_server_ts: 5, depth: 3, content: { body: "hi", "日": [1, { z: null, a: true }] }, prev_events: ["$p"], auth_events: ["$a"], hashes: { sha256: "abc" }, signatures: { x: { "ed25519:1": "sig" } }, unsigned: { age: 4 }, origin: "x", extra: "kept in content only" },
      { type: "m.room.member", state_key: "@a:x", room_id: "!r:x", sender: "@a:x", origin_server_ts: 5, depth: 3, content: { membership: "join", displayname: "A", join_authorised_via_users_server: "@b:x" }, prev_events: [], auth_events: [], hashes: { sha256: "abc" }, membership: "join" },
      { type: "m.room.create", state_key: "", sender: "@a:x", origin_server_ts: 5, depth: 1, content: { creator: "@a:x", room_version: "11", extra: 1 }, prev_events: [], auth_events: [], hashes: { sha256: "abc" } },
    ];
    for (const version of ROOM_VERSIONS.values()) {
      for (const ev of events) {
        const both = eventHashInputs(ev as never, version);
        expect(both.reference).toEqual(referenceHashInput(ev as never, version));
        expect(both.content).toEqual(contentHashInput(ev as never, version));
      }
    }
  });

  it("fails only the form that holds an unencodable value (strict JSON, v6+)", async () => {
    const { eventHashInputs } = await import("../../../src/events/hashes.js");
    const { getRoomVersion } = await import("../../../src/events/room-versions.js");
    const ev = { type: "m.room.message", sender: "@a:x", content: { n: 1.5 }, hashes: { sha256: "x" }, depth: 1, prev_events: [], auth_events: [] };
    const r = eventHashInputs(ev as never, getRoomVersion("10")!);
    expect(r.reference).toBeInstanceOf(Buffer);
    expect(r.content).toBeInstanceOf(Error);
    const bad = { ...ev, depth: 1.5 };
    const r2 = eventHashInputs(bad as never, getRoomVersion("10")!);
    expect(r2.reference).toBeInstanceOf(Error);
    expect(r2.content).toBeInstanceOf(Error);
  });
});
