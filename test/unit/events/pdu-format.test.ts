/**
 * Check 1 of "Checks performed on receipt of a PDU": the room version's event format
 * (data/api/server-server/definitions/pdu_v*.yaml), CS "Size limits", strict canonical JSON v6+.
 */
import { describe, expect, it } from "vitest";
import { checkPduFormat, MAX_PDU_BYTES } from "../../../src/events/pdu-format.js";
import { canonicalJsonBytes } from "../../../src/events/canonical-json.js";
import type { JsonObject } from "../../../src/events/types.js";
import { ALL_VERSIONS, V, messageEvent } from "./fixtures.js";
import { loadSpecExample } from "./spec-examples.js";

const reasonOf = (raw: unknown, id: string, opts?: { relaxCounts?: boolean }): string | null => {
  const r = checkPduFormat(raw, V(id), opts);
  return r.ok ? null : r.reason;
};

describe("the spec's example PDUs", () => {
  // Which versions each example illustrates (pdu_vN.yaml `example:` and rooms/vN.md).
  const cases: [string, string[]][] = [
    ["pdu_v1.json", ["1", "2"]],
    ["pdu_v3.json", ["3"]],
    ["pdu_v4.json", ["4", "5", "6", "7", "8", "9", "10"]],
    ["pdu_v4_join_membership.json", ["8", "9", "10", "11"]],
    ["pdu_v11.json", ["11"]],
    ["pdu_v12.json", ["12"]],
  ];
  it.each(cases)("%s is accepted by room versions %j", (file, versions) => {
    const example = loadSpecExample(file);
    for (const id of versions) {
      const r = checkPduFormat(example, V(id));
      expect(r, `room v${id}`).toEqual({ ok: true, pdu: example });
    }
  });

  it("resolves $ref/allOf merges (sanity check of the loader)", () => {
    const v12 = loadSpecExample("pdu_v12.json");
    expect(v12.room_id).toBe("!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ");
    expect(v12.sender).toBe("@alice:example.com");
    expect(v12.prev_events).toEqual(["$urlsafe_base64_encoded_eventid", "$a-different-event-id"]);
    const v3 = loadSpecExample("pdu_v3.json");
    expect(v3.redacts).toBe("$some/old+event");
    expect(v3.depth).toBe(12);
  });

  it("a v1 example is not a v3+ event and vice versa (reference formats differ)", () => {
    expect(reasonOf(loadSpecExample("pdu_v1.json"), "3")).toBe("'prev_events[0]' is not a valid event ID");
    expect(reasonOf(loadSpecExample("pdu_v3.json"), "1")).toBe("'prev_events[0]' must be an [event_id, hashes] pair");
    // pdu_v12's room ID has no domain and pdu_v11's has one: each fails the other's format.
    expect(reasonOf(loadSpecExample("pdu_v11.json"), "12")).toMatch(/^'room_id' is not a room ID of this room version/);
  });
});

describe("accepts well-formed events in every version", () => {
  it.each(ALL_VERSIONS)("room v%s", (id) => {
    expect(reasonOf(messageEvent(V(id)), id)).toBeNull();
    expect(reasonOf(messageEvent(V(id), { state_key: "", type: "m.room.topic", content: { topic: "t" } }), id)).toBeNull();
  });

  it("allows unknown top-level fields and a historical sender", () => {
    expect(reasonOf(messageEvent(V("10"), { origin: "origin.test", x_custom: { a: [1] } }), "10")).toBeNull();
    expect(reasonOf(messageEvent(V("10"), { sender: "@Ünïcode Üser:origin.test" }), "10")).toBeNull();
    expect(reasonOf(messageEvent(V("10"), { sender: "@:origin.test" }), "10")).toBeNull();
  });

  it("v12: room_id may be absent only on m.room.create", () => {
    const { room_id: _r, ...noRoom } = messageEvent(V("12"));
    const create = { ...noRoom, type: "m.room.create", state_key: "", content: { room_version: "12" } };
    expect(reasonOf(create, "12")).toBeNull();
    expect(reasonOf(noRoom, "12")).toBe("missing required field 'room_id'");
    expect(reasonOf(create, "11")).toBe("missing required field 'room_id'");
  });
});

describe("rejects malformed events with the field named", () => {
  const v = "10";
  const base = messageEvent(V(v));
  const without = (key: string): JsonObject => {
    const { [key]: _drop, ...rest } = base;
    return rest;
  };

  const cases: [string, unknown, string, string?][] = [
    ["not an object", [base], "event is not a JSON object"],
    ["null", null, "event is not a JSON object"],
    ["missing type", without("type"), "missing required field 'type'"],
    ["type not a string", { ...base, type: 5 }, "'type' must be a string"],
    ["type too long", { ...base, type: "t".repeat(256) }, "'type' exceeds 255 bytes"],
    ["type too long in bytes", { ...base, type: "é".repeat(128) }, "'type' exceeds 255 bytes"],
    ["type with NUL", { ...base, type: "a\u0000b" }, "'type' contains a NUL character"],
    ["state_key not a string", { ...base, state_key: null }, "'state_key' must be a string"],
    ["state_key too long", { ...base, state_key: "日".repeat(86) }, "'state_key' exceeds 255 bytes"],
    ["missing sender", without("sender"), "missing required field 'sender'"],
    ["sender not a string", { ...base, sender: ["@a:b"] }, "'sender' must be a string"],
    ["sender too long", { ...base, sender: `@${"a".repeat(250)}:origin.test` }, "'sender' exceeds 255 bytes"],
    ["sender not a user ID", { ...base, sender: "alice" }, "'sender' is not a valid user ID"],
    ["sender bad server", { ...base, sender: "@alice:bad_server!" }, "'sender' is not a valid user ID"],
    ["missing room_id", without("room_id"), "missing required field 'room_id'"],
    ["room_id not a string", { ...base, room_id: 1 }, "'room_id' must be a string"],
    ["room_id bad", { ...base, room_id: "#alias:x" }, "'room_id' is not a valid room ID"],
    ["room_id too long", { ...base, room_id: `!${"r".repeat(250)}:origin.test` }, "'room_id' exceeds 255 bytes"],
    ["missing ts", without("origin_server_ts"), "missing required field 'origin_server_ts'"],
    ["ts not integer", { ...base, origin_server_ts: "1" }, "'origin_server_ts' must be an integer"],
    ["ts float", { ...base, origin_server_ts: 1.5 }, "'origin_server_ts' must be an integer"],
    ["missing content", without("content"), "missing required field 'content'"],
    ["content array", { ...base, content: [] }, "'content' must be an object"],
    ["missing depth", without("depth"), "missing required field 'depth'"],
    ["depth string", { ...base, depth: "3" }, "'depth' must be an integer"],
    ["depth negative", { ...base, depth: -1 }, "'depth' must not be negative"],
    ["depth above 2^53-1", { ...base, depth: 2 ** 53 }, "'depth' exceeds the room version's maximum (9007199254740991)"],
    ["missing prev_events", without("prev_events"), "missing required field 'prev_events'"],
    ["prev_events not array", { ...base, prev_events: "$a" }, "'prev_events' must be an array"],
    ["prev_events bad id", { ...base, prev_events: ["$ok", "nope"] }, "'prev_events[1]' is not a valid event ID"],
    ["missing auth_events", without("auth_events"), "missing required field 'auth_events'"],
    ["auth_events bad entry", { ...base, auth_events: [5] }, "'auth_events[0]' is not a valid event ID"],
    ["missing hashes", without("hashes"), "missing required field 'hashes'"],
    ["hashes not object", { ...base, hashes: "h" }, "'hashes' must be an object"],
    ["hashes without sha256", { ...base, hashes: { sha512: "x" } }, "missing required field 'hashes.sha256'"],
    ["hashes.sha256 not string", { ...base, hashes: { sha256: 1 } }, "'hashes.sha256' must be a string"],
    ["missing signatures", without("signatures"), "missing required field 'signatures'"],
    ["signatures not object", { ...base, signatures: [] }, "'signatures' must be an object"],
    ["signatures server not object", { ...base, signatures: { "a.b": "sig" } }, "'signatures.a.b' must be an object"],
    ["signature not string", { ...base, signatures: { "a.b": { "ed25519:1": 1 } } }, "'signatures.a.b.ed25519:1' must be a string"],
    ["unsigned not object", { ...base, unsigned: 5 }, "'unsigned' must be an object"],
    ["redacts not string", { ...base, redacts: {} }, "'redacts' must be a string"],
    ["redacts not event id", { ...base, redacts: "event" }, "'redacts' is not a valid event ID"],
  ];
  it.each(cases)("%s", (_name, raw, reason) => {
    expect(reasonOf(raw, v)).toBe(reason);
  });

  it("v1/v2: event_id is required and must be $opaque:domain; references are pairs", () => {
    const ev = messageEvent(V("1"));
    const { event_id: _e, ...noId } = ev;
    expect(reasonOf(noId, "1")).toBe("missing required field 'event_id'");
    expect(reasonOf({ ...ev, event_id: 7 }, "2")).toBe("'event_id' must be a string");
    expect(reasonOf({ ...ev, event_id: "$nodomain" }, "1")).toBe("'event_id' is not a valid event ID ($opaque:domain)");
    expect(reasonOf({ ...ev, event_id: `$${"e".repeat(250)}:origin.test` }, "1")).toBe("'event_id' exceeds 255 bytes");
    expect(reasonOf({ ...ev, prev_events: [["$a:b"]] }, "1")).toBe("'prev_events[0]' must be an [event_id, hashes] pair");
    expect(reasonOf({ ...ev, prev_events: [[5, { sha256: "x" }]] }, "1")).toBe("'prev_events[0][0]' is not a valid event ID");
    expect(reasonOf({ ...ev, auth_events: [["$a:b", "hash"]] }, "1")).toBe("'auth_events[0][1]' must be an object");
    expect(reasonOf({ ...ev, auth_events: [["$a:b", {}]] }, "1")).toBe("'auth_events[0][1].sha256' must be a string");
    // v3+ do not require event_id (and ignore one that is present).
    expect(reasonOf(messageEvent(V("3")), "3")).toBeNull();
  });

  it("v11+: redacts lives in content of m.room.redaction; a top-level one is an unknown field", () => {
    const red = (content: JsonObject, extra: JsonObject = {}, id = "11") =>
      messageEvent(V(id), { type: "m.room.redaction", content, ...extra });
    expect(reasonOf(red({ redacts: "$victim" }), "11")).toBeNull();
    expect(reasonOf(red({ redacts: 5 }), "11")).toBe("'content.redacts' must be a string");
    expect(reasonOf(red({ redacts: "victim" }, {}, "12"), "12")).toBe("'content.redacts' is not a valid event ID");
    expect(reasonOf(red({}, { redacts: 5 }), "11")).toBeNull();
    expect(reasonOf(red({ redacts: 5 }, {}, "10"), "10")).toBeNull(); // content is free-form before v11
  });

  it("v12: room_id must be ! + 43 URL-safe base64 characters", () => {
    const ev = messageEvent(V("12"));
    expect(reasonOf({ ...ev, room_id: "!room:origin.test" }, "12")).toMatch(/^'room_id' is not a room ID of this room version/);
    expect(reasonOf({ ...ev, room_id: "!" + "A".repeat(42) + "+" }, "12")).toMatch(/^'room_id' is not a room ID/);
  });
});

describe("depth bounds per version", () => {
  it("v1–v5 allow depth up to 2^63−1, v6+ only up to 2^53−1", () => {
    for (const id of ["1", "5"]) expect(reasonOf(messageEvent(V(id), { depth: 2 ** 60 }), id)).toBeNull();
    expect(reasonOf(messageEvent(V("5"), { depth: 2 ** 64 }), "5")).toMatch(/^'depth' exceeds/);
    expect(reasonOf(messageEvent(V("6"), { depth: 2 ** 53 - 1 }), "6")).toBeNull();
  });
});

describe("prev/auth event counts", () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `$e${i}`);
  it("limits prev_events to 20 and auth_events to 10", () => {
    expect(reasonOf(messageEvent(V("10"), { prev_events: ids(20), auth_events: ids(10) }), "10")).toBeNull();
    expect(reasonOf(messageEvent(V("10"), { prev_events: ids(21) }), "10")).toBe(
      "'prev_events' has 21 entries, more than the limit of 20",
    );
    expect(reasonOf(messageEvent(V("10"), { auth_events: ids(11) }), "10")).toBe(
      "'auth_events' has 11 entries, more than the limit of 10",
    );
  });
  it("relaxCounts lifts both limits (backfill)", () => {
    const ev = messageEvent(V("10"), { prev_events: ids(40), auth_events: ids(30) });
    expect(reasonOf(ev, "10", { relaxCounts: true })).toBeNull();
  });
});

describe("strict canonical JSON (v6+)", () => {
  const bad: [string, number][] = [
    ["float", 1.5],
    ["2^53", 2 ** 53],
    ["-2^53", -(2 ** 53)],
  ];
  it.each(bad)("a %s anywhere is rejected in v6+ and accepted in v1–v5", (_name, n) => {
    for (const id of ALL_VERSIONS) {
      const v = V(id);
      const ev = messageEvent(v, { content: { body: "x", nested: [{ n }] } });
      const reason = reasonOf(ev, id);
      if (v.strictCanonicalJson) {
        expect(reason, `room v${id}`).toBe(
          `'content.nested[0].n' is not an integer in the canonical JSON range (room version ${id} requires strict canonical JSON)`,
        );
      } else {
        expect(reason, `room v${id}`).toBeNull();
      }
    }
  });

  it("checks unsigned too", () => {
    const ev = messageEvent(V("9"), { unsigned: { age: 0.5 } });
    expect(reasonOf(ev, "9")).toBe(
      "'unsigned.age' is not an integer in the canonical JSON range (room version 9 requires strict canonical JSON)",
    );
    expect(reasonOf(messageEvent(V("5"), { unsigned: { age: 0.5 } }), "5")).toBeNull();
  });
});

describe("64 KiB size limit", () => {
  /** An event whose canonical JSON (without unsigned) is exactly `bytes` long. */
  function eventOfSize(bytes: number, id = "10"): JsonObject {
    const ev = messageEvent(V(id), { content: { body: "" } });
    const { unsigned: _u, ...measured } = ev;
    const pad = bytes - canonicalJsonBytes(measured).length;
    return { ...ev, content: { body: "x".repeat(pad) } };
  }

  it("accepts exactly 65536 bytes and rejects 65537", () => {
    expect(reasonOf(eventOfSize(MAX_PDU_BYTES), "10")).toBeNull();
    expect(reasonOf(eventOfSize(MAX_PDU_BYTES + 1), "10")).toBe(
      "event is 65537 bytes as canonical JSON, more than the limit of 65536",
    );
  });

  it("counts signatures and multi-byte characters, not unsigned", () => {
    const ev = eventOfSize(MAX_PDU_BYTES);
    expect(reasonOf({ ...ev, signatures: { "a.b": { "ed25519:1": "s" } } }, "10")).toMatch(/^event is \d+ bytes/);
    const body = (ev.content as JsonObject).body as string;
    expect(reasonOf({ ...ev, content: { body: body.slice(2) + "é" } }, "10")).toBeNull(); // 2 bytes for 2
    expect(reasonOf({ ...ev, content: { body: body.slice(1) + "é" } }, "10")).toMatch(/^event is 65537 bytes/);
    expect(reasonOf({ ...ev, unsigned: { big: "u".repeat(10_000) } }, "10")).toBeNull();
  });
});
