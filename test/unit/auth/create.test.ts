import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../src/events/types.js";
import { checkAuthRules } from "../../../src/rooms/auth/check-auth.js";
import { roomCreators } from "../../../src/rooms/auth/power-levels.js";
import { stateFromEvents } from "../../../src/rooms/auth/types.js";
import { ALICE, ALL_VERSIONS, BOB, V, makeCreate, makeEvent, reasonOf, versions } from "./fixtures.js";

const empty = stateFromEvents([]);

describe("auth rule 1: m.room.create", () => {
  it.each(ALL_VERSIONS)("v%s: a well-formed create event is allowed", (id) => {
    const v = V(id);
    expect(checkAuthRules(makeCreate(v), empty, v)).toEqual({ allowed: true });
  });

  it.each(ALL_VERSIONS)("v%s: a create event with prev_events is rejected", (id) => {
    const v = V(id);
    const base = makeCreate(v);
    const ev = { ...base, prevEvents: ["$other"] };
    expect(reasonOf(checkAuthRules(ev, empty, v))).toMatch(/m\.room\.create: has prev_events/);
  });

  it.each(versions(1, 11))("v%s: room_id domain must match the sender domain", (id) => {
    const v = V(id);
    const content: JsonObject = v.createHasCreator ? { creator: ALICE } : {};
    const wrong = makeEvent(v, { type: "m.room.create", stateKey: "", sender: ALICE, content, roomId: "!room:b.example" });
    expect(reasonOf(checkAuthRules(wrong, empty, v))).toMatch(/room_id domain does not match sender domain/);
    const right = makeEvent(v, { type: "m.room.create", stateKey: "", sender: ALICE, content, roomId: "!room:a.example" });
    expect(checkAuthRules(right, empty, v).allowed).toBe(true);
  });

  it("v12: a create event carrying a room_id is rejected, one without is allowed", () => {
    const v = V(12);
    const withRoomId = makeEvent(v, { type: "m.room.create", stateKey: "", sender: ALICE, content: {}, roomId: "!room:a.example" });
    expect(reasonOf(checkAuthRules(withRoomId, empty, v))).toMatch(/has a room_id/);
    const withoutRoomId = makeEvent(v, { type: "m.room.create", stateKey: "", sender: ALICE, content: {}, noRoomId: true });
    expect(checkAuthRules(withoutRoomId, empty, v).allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: content.room_version must be recognised when present", (id) => {
    const v = V(id);
    expect(reasonOf(checkAuthRules(makeCreate(v, ALICE, { room_version: "99" }), empty, v))).toMatch(/not a recognised room version/);
    expect(reasonOf(checkAuthRules(makeCreate(v, ALICE, { room_version: 1 }), empty, v))).toMatch(/not a recognised room version/);
    expect(checkAuthRules(makeCreate(v, ALICE, { room_version: "1" }), empty, v).allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: room_version may be absent", (id) => {
    const v = V(id);
    const ev = makeCreate(v);
    delete (ev.content as Record<string, unknown>)["room_version"];
    expect(checkAuthRules(ev, empty, v).allowed).toBe(true);
  });

  it.each(versions(1, 10))("v%s: content.creator is required", (id) => {
    const v = V(id);
    const content = { room_version: id };
    const ev = makeEvent(v, { type: "m.room.create", stateKey: "", sender: ALICE, content, roomId: "!room:a.example" });
    expect(reasonOf(checkAuthRules(ev, empty, v))).toMatch(/content has no creator/);
  });

  it.each(versions(11))("v%s: content.creator is not required", (id) => {
    const v = V(id);
    const ev = makeCreate(v);
    expect(ev.content["creator"]).toBeUndefined();
    expect(checkAuthRules(ev, empty, v).allowed).toBe(true);
  });

  describe("v12 additional_creators", () => {
    const v = V(12);
    it("accepts an array of user IDs, including the historical grammar", () => {
      const ev = makeCreate(v, ALICE, { additional_creators: [BOB, "@Old.User:b.example"] });
      expect(checkAuthRules(ev, empty, v).allowed).toBe(true);
      expect(checkAuthRules(makeCreate(v, ALICE, { additional_creators: [] }), empty, v).allowed).toBe(true);
    });
    it.each([
      ["a string", BOB],
      ["an object", { user: BOB }],
      ["null", null],
      ["an array with a number", [BOB, 5]],
      ["an array with a non-user-ID", ["bob"]],
      ["an array with a user ID lacking a server", ["@bob"]],
      ["an array with a bad server name", ["@bob:bad server"]],
    ])("rejects %s", (_label, value) => {
      const ev = makeCreate(v, ALICE, { additional_creators: value });
      expect(reasonOf(checkAuthRules(ev, empty, v))).toMatch(/additional_creators is not an array of valid user IDs/);
    });
    it("is not validated before v12", () => {
      const v11 = V(11);
      expect(checkAuthRules(makeCreate(v11, ALICE, { additional_creators: "junk" }), empty, v11).allowed).toBe(true);
    });
  });
});

describe("roomCreators", () => {
  it("v1–v10: content.creator, not the sender", () => {
    const v = V(10);
    const ev = makeCreate(v, ALICE, { creator: BOB });
    expect([...roomCreators(ev, v)]).toEqual([BOB]);
  });
  it("v11: the sender; additional_creators ignored", () => {
    const v = V(11);
    const ev = makeCreate(v, ALICE, { additional_creators: [BOB] });
    expect([...roomCreators(ev, v)]).toEqual([ALICE]);
  });
  it("v12: the sender plus additional_creators", () => {
    const v = V(12);
    const ev = makeCreate(v, ALICE, { additional_creators: [BOB] });
    expect([...roomCreators(ev, v)].sort()).toEqual([ALICE, BOB].sort());
  });
});
