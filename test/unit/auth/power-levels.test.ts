import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../src/events/types.js";
import { parsePowerLevels, requiredPowerLevel, userPowerLevel } from "../../../src/rooms/auth/power-levels.js";
import { ALICE, ALICE2, ALL_VERSIONS, BOB, CAROL, DAVE, TestRoom, V, reasonOf, versions, creatorUsers } from "./fixtures.js";

describe("parsePowerLevels", () => {
  it.each(ALL_VERSIONS)("v%s: absent content gives the spec defaults", (id) => {
    const pl = parsePowerLevels(undefined, V(id))!;
    expect(pl).toMatchObject({ usersDefault: 0, eventsDefault: 0, stateDefault: 50, ban: 50, kick: 50, redact: 50, invite: 0 });
    expect(pl.users.size + pl.events.size + pl.notifications.size).toBe(0);
  });

  it.each(versions(1, 9))("v%s: stringy integers are accepted", (id) => {
    const pl = parsePowerLevels({ ban: " +60 ", kick: "000040", users: { [BOB]: "-5" }, events: { "m.room.name": "75" }, notifications: { room: "20" } }, V(id))!;
    expect(pl.ban).toBe(60);
    expect(pl.kick).toBe(40);
    expect(pl.users.get(BOB)).toBe(-5);
    expect(pl.events.get("m.room.name")).toBe(75);
    expect(pl.notifications.get("room")).toBe(20);
  });

  it.each(versions(1, 9))("v%s: strings that are not integers are invalid", (id) => {
    for (const bad of ["1.5", "abc", "", "+-1", "1e3", "0x10", "1 0"]) expect(parsePowerLevels({ ban: bad }, V(id))).toBeNull();
  });

  it.each(versions(10))("v%s: strings are invalid", (id) => {
    expect(parsePowerLevels({ ban: "50" }, V(id))).toBeNull();
    expect(parsePowerLevels({ users: { [BOB]: "50" } }, V(id))).toBeNull();
    expect(parsePowerLevels({ events: { x: "50" } }, V(id))).toBeNull();
  });

  it.each(versions(1, 5))("v%s: floats are truncated", (id) => {
    const pl = parsePowerLevels({ ban: 5.114698e4, users: { [BOB]: 50.57, [CAROL]: -1.5 } }, V(id))!;
    expect(pl.ban).toBe(51146);
    expect(pl.users.get(BOB)).toBe(50);
    expect(pl.users.get(CAROL)).toBe(-1);
    expect(parsePowerLevels({ ban: Infinity }, V(id))).toBeNull();
    expect(parsePowerLevels({ ban: NaN }, V(id))).toBeNull();
  });

  it.each(versions(6))("v%s: floats are invalid", (id) => {
    expect(parsePowerLevels({ ban: 50.5 }, V(id))).toBeNull();
  });

  it.each(ALL_VERSIONS)("v%s: non-level values and bad users keys are invalid", (id) => {
    const v = V(id);
    expect(parsePowerLevels({ ban: true }, v)).toBeNull();
    expect(parsePowerLevels({ ban: null }, v)).toBeNull();
    expect(parsePowerLevels({ users: [] }, v)).toBeNull();
    expect(parsePowerLevels({ users: { bob: 5 } }, v)).toBeNull();
    expect(parsePowerLevels({ events: 5 }, v)).toBeNull();
  });
});

describe("userPowerLevel and requiredPowerLevel", () => {
  it.each(versions(1, 11))("v%s: with no power-levels event the creator has 100, others 0", (id) => {
    const room = new TestRoom(id, { powerLevels: null });
    expect(userPowerLevel(ALICE, room.lookup(), room.version)).toBe(100);
    expect(userPowerLevel(BOB, room.lookup(), room.version)).toBe(0);
  });

  it("v12: creators have infinite power with or without a power-levels event", () => {
    const room = new TestRoom(12, { powerLevels: null, createContent: { additional_creators: [ALICE2] } });
    expect(userPowerLevel(ALICE, room.lookup(), room.version)).toBe(Infinity);
    expect(userPowerLevel(ALICE2, room.lookup(), room.version)).toBe(Infinity);
    expect(userPowerLevel(BOB, room.lookup(), room.version)).toBe(0);
    room.powerLevels({ users_default: 10 });
    expect(userPowerLevel(ALICE, room.lookup(), room.version)).toBe(Infinity);
    expect(userPowerLevel(BOB, room.lookup(), room.version)).toBe(10);
  });

  it.each(ALL_VERSIONS)("v%s: users entry, else users_default", (id) => {
    const room = new TestRoom(id, { powerLevels: { users: { [BOB]: 30 }, users_default: 5 } });
    expect(userPowerLevel(BOB, room.lookup(), room.version)).toBe(30);
    expect(userPowerLevel(CAROL, room.lookup(), room.version)).toBe(5);
  });

  it.each(ALL_VERSIONS)("v%s: required level: events entry, else state_default / events_default", (id) => {
    const room = new TestRoom(id, { powerLevels: null });
    expect(requiredPowerLevel("m.room.name", true, room.lookup(), room.version)).toBe(50);
    expect(requiredPowerLevel("m.room.message", false, room.lookup(), room.version)).toBe(0);
    room.powerLevels({ events: { "m.room.name": 10 }, state_default: 70, events_default: 20 });
    expect(requiredPowerLevel("m.room.name", true, room.lookup(), room.version)).toBe(10);
    expect(requiredPowerLevel("m.room.topic", true, room.lookup(), room.version)).toBe(70);
    expect(requiredPowerLevel("m.room.message", false, room.lookup(), room.version)).toBe(20);
  });

  it("v9: an invalid value in an old power-levels event reads as its default", () => {
    const room = new TestRoom(9, { powerLevels: { users: { [ALICE]: 40 }, ban: "lots" } });
    expect(room.checkMember(ALICE, BOB, "ban").allowed).toBe(false); // ban level 50 > 40
    room.powerLevels({ users: { [ALICE]: 40 }, ban: "30" });
    expect(room.checkMember(ALICE, BOB, "ban").allowed).toBe(true);
  });
});

/** A room where ALICE is the creator (100, or infinite in v12) and BOB has 50. */
function plRoom(id: string, extra: JsonObject = {}): TestRoom {
  const room = new TestRoom(id, { joined: [BOB, CAROL, DAVE] });
  const creator = creatorUsers(room);
  room.powerLevels({ users: { ...creator, [BOB]: 50, [CAROL]: 50, [DAVE]: 10 }, state_default: 50, ...extra });
  return room;
}

function plEvent(room: TestRoom, sender: string, content: JsonObject) {
  return room.event({ type: "m.room.power_levels", stateKey: "", sender, content });
}

/** The current content with `users` changed. */
function withUsers(room: TestRoom, users: Record<string, number | string>, extra: JsonObject = {}): JsonObject {
  const current = room.lookup().get("m.room.power_levels", "")!.content;
  return { ...current, users: { ...(current["users"] as JsonObject), ...users }, ...extra };
}

describe("m.room.power_levels rule", () => {
  it.each(ALL_VERSIONS)("v%s: the first power-levels event is allowed whatever it grants", (id) => {
    const noPl = new TestRoom(id, { powerLevels: null });
    expect(noPl.check(plEvent(noPl, ALICE, { users: { [BOB]: 1000 }, ban: 9000 })).allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: raising one's own level above one's level is rejected; lowering it is allowed", (id) => {
    const room = plRoom(id);
    expect(reasonOf(room.check(plEvent(room, BOB, withUsers(room, { [BOB]: 51 }))))).toMatch(/grants a level above the sender's/);
    expect(room.check(plEvent(room, BOB, withUsers(room, { [BOB]: 40 }))).allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: granting others up to one's own level is allowed, above it rejected", (id) => {
    const room = plRoom(id);
    expect(room.check(plEvent(room, BOB, withUsers(room, { [DAVE]: 50 }))).allowed).toBe(true);
    expect(room.check(plEvent(room, BOB, withUsers(room, { "@new:x.example": 50 }))).allowed).toBe(true);
    expect(reasonOf(room.check(plEvent(room, BOB, withUsers(room, { [DAVE]: 51 }))))).toMatch(/grants a level above/);
  });

  it.each(ALL_VERSIONS)("v%s: changing or removing a user at or above one's own level is rejected", (id) => {
    const room = plRoom(id);
    expect(reasonOf(room.check(plEvent(room, BOB, withUsers(room, { [CAROL]: 10 }))))).toMatch(/changes a user whose level is not below the sender's/);
    const removed = withUsers(room, {});
    delete (removed["users"] as JsonObject)[CAROL];
    expect(reasonOf(room.check(plEvent(room, BOB, removed)))).toMatch(/changes a user whose level is not below/);
    const removedDave = withUsers(room, {});
    delete (removedDave["users"] as JsonObject)[DAVE];
    expect(room.check(plEvent(room, BOB, removedDave)).allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: scalar levels: neither the old nor the new value may exceed the sender's level", (id) => {
    const room = plRoom(id, { kick: 60 });
    expect(reasonOf(room.check(plEvent(room, BOB, withUsers(room, {}, { ban: 51 }))))).toMatch(/new ban is above the sender's level/);
    expect(room.check(plEvent(room, BOB, withUsers(room, {}, { ban: 40 }))).allowed).toBe(true);
    expect(reasonOf(room.check(plEvent(room, BOB, withUsers(room, {}, { kick: 40 }))))).toMatch(/current kick is above the sender's level/);
    const noKick = withUsers(room, {});
    delete noKick["kick"];
    expect(reasonOf(room.check(plEvent(room, BOB, noKick)))).toMatch(/current kick is above/);
    // Unchanged values above the sender's level do not matter.
    expect(room.check(plEvent(room, BOB, withUsers(room, { [DAVE]: 20 }))).allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: events entries: old and new values may not exceed the sender's level", (id) => {
    const room = plRoom(id, { events: { "m.room.name": 60 } });
    expect(reasonOf(room.check(plEvent(room, BOB, withUsers(room, {}, { events: { "m.room.name": 60, "m.room.topic": 70 } }))))).toMatch(/new events level is above/);
    expect(reasonOf(room.check(plEvent(room, BOB, withUsers(room, {}, { events: { "m.room.name": 20 } }))))).toMatch(/current events level is above/);
    expect(room.check(plEvent(room, BOB, withUsers(room, {}, { events: { "m.room.name": 60, "m.room.topic": 50 } }))).allowed).toBe(true);
  });

  it.each(versions(6))("v%s: notifications are guarded like events", (id) => {
    const room = plRoom(id, { notifications: { room: 50 } });
    expect(reasonOf(room.check(plEvent(room, BOB, withUsers(room, {}, { notifications: { room: 60 } }))))).toMatch(/new notifications level is above/);
    expect(room.check(plEvent(room, BOB, withUsers(room, {}, { notifications: { room: 40 } }))).allowed).toBe(true);
  });

  it.each(versions(1, 5))("v%s: notifications are not guarded", (id) => {
    const room = plRoom(id, { notifications: { room: 50 } });
    expect(room.check(plEvent(room, BOB, withUsers(room, {}, { notifications: { room: 100 } }))).allowed).toBe(true);
  });

  it.each(versions(1, 9))("v%s: stringy levels are accepted and compared as integers", (id) => {
    const room = plRoom(id, { ban: 60 });
    // "60" equals the current 60, so it is no change even though 60 > BOB's 50.
    expect(room.check(plEvent(room, BOB, withUsers(room, { [DAVE]: "20" }, { ban: "60" }))).allowed).toBe(true);
  });

  it.each(versions(10))("v%s: stringy levels are rejected", (id) => {
    const room = plRoom(id);
    expect(reasonOf(room.check(plEvent(room, ALICE, withUsers(room, { [DAVE]: "20" }))))).toMatch(/not an integer level/);
    expect(reasonOf(room.check(plEvent(room, ALICE, withUsers(room, {}, { ban: "60" }))))).toMatch(/not an integer level/);
    expect(reasonOf(room.check(plEvent(room, ALICE, withUsers(room, {}, { events: { x: "60" } }))))).toMatch(/not an integer level/);
    expect(reasonOf(room.check(plEvent(room, ALICE, withUsers(room, {}, { notifications: 5 }))))).toMatch(/not an integer level/);
  });

  it.each(versions(1, 5))("v%s: float levels are accepted (truncated)", (id) => {
    const room = plRoom(id);
    expect(room.check(plEvent(room, BOB, withUsers(room, { [DAVE]: 50.9 }))).allowed).toBe(true);
    expect(room.check(plEvent(room, BOB, withUsers(room, { [DAVE]: 51.2 }))).allowed).toBe(false);
  });

  it.each(versions(6))("v%s: float levels are rejected", (id) => {
    const room = plRoom(id);
    expect(room.check(plEvent(room, ALICE, withUsers(room, { [DAVE]: 20.5 }))).allowed).toBe(false);
  });

  it.each(ALL_VERSIONS)("v%s: users keys must be user IDs and values levels", (id) => {
    const room = plRoom(id);
    expect(reasonOf(room.check(plEvent(room, ALICE, withUsers(room, { dave: 20 }))))).toMatch(/user ID|not an integer level/);
    expect(reasonOf(room.check(plEvent(room, ALICE, { users: [] })))).toMatch(/users is not an object|not an integer level/);
    expect(room.check(plEvent(room, ALICE, withUsers(room, { [DAVE]: 20 }))).allowed).toBe(true);
  });

  it.each(versions(1, 9))("v%s: an alteration involving an uncomparable value is rejected", (id) => {
    const room = plRoom(id);
    expect(reasonOf(room.check(plEvent(room, ALICE, withUsers(room, {}, { ban: "much" }))))).toMatch(/ban is not a valid power level/);
  });

  describe("v12 creators", () => {
    it("a power-levels event listing a creator is rejected", () => {
      const room = new TestRoom(12, { createContent: { additional_creators: [ALICE2] }, joined: [BOB] });
      expect(reasonOf(room.check(plEvent(room, ALICE, { users: { [ALICE]: 100 } })))).toMatch(/users lists a room creator/);
      expect(reasonOf(room.check(plEvent(room, ALICE, { users: { [ALICE2]: 100 } })))).toMatch(/users lists a room creator/);
      expect(room.check(plEvent(room, ALICE, { users: { [BOB]: 100 } })).allowed).toBe(true);
    });

    it("a creator may grant any level and cannot be kicked or banned", () => {
      const room = new TestRoom(12, { joined: [BOB] });
      room.powerLevels({ users: { [BOB]: 100 } });
      expect(room.check(plEvent(room, ALICE, { users: { [BOB]: 9_007_199_254_740_991 }, ban: 9000 })).allowed).toBe(true);
      expect(room.checkMember(BOB, ALICE, "ban").allowed).toBe(false);
      expect(room.checkMember(BOB, ALICE, "leave").allowed).toBe(false);
      expect(room.checkMember(ALICE, BOB, "ban").allowed).toBe(true);
    });

    it("in v11 the creator is an ordinary user once power levels exist", () => {
      const room = new TestRoom(11, { joined: [BOB] });
      room.powerLevels({ users: { [ALICE]: 100, [BOB]: 100 } });
      expect(room.checkMember(BOB, ALICE, "ban").allowed).toBe(false); // equal levels
      room.powerLevels({ users: { [ALICE]: 10, [BOB]: 100 } });
      expect(room.checkMember(BOB, ALICE, "ban").allowed).toBe(true);
    });
  });
});
