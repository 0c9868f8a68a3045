import { describe, expect, it } from "vitest";
import { checkAuthRules } from "../../../src/rooms/auth/check-auth.js";
import { stateFromEvents } from "../../../src/rooms/auth/types.js";
import { ALICE, ALL_VERSIONS, BOB, CAROL, TestRoom, reasonOf, versions, creatorUsers } from "./fixtures.js";

describe("rules for every event", () => {
  it.each(ALL_VERSIONS)("v%s: no create event in the auth state → rejected", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const ev = room.message(BOB);
    expect(room.check(ev).allowed).toBe(true);
    expect(reasonOf(checkAuthRules(ev, stateFromEvents([room.lookup().get("m.room.member", BOB)!]), room.version))).toMatch(/no m.room.create event in the auth state/);
  });

  it("v12: the room ID must be the create event's ID with !", () => {
    const room = new TestRoom(12, { joined: [BOB] });
    const ev = room.event({ type: "m.room.message", sender: BOB, content: {}, roomId: "!somethingElse" });
    expect(reasonOf(room.check(ev))).toMatch(/room_id is not the ID of the room's m.room.create event/);
  });

  it.each(ALL_VERSIONS)("v%s: m.federate false keeps out senders from other servers", (id) => {
    const room = new TestRoom(id, { createContent: { "m.federate": false } });
    expect(reasonOf(room.checkMember(BOB, BOB, "join"))).toMatch(/m.federate is false/);
    expect(room.checkMember("@local:a.example", "@local:a.example", "join").allowed).toBe(true);
    const federating = new TestRoom(id, { createContent: { "m.federate": true } });
    expect(federating.checkMember(BOB, BOB, "join").allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: a sender who is not joined cannot send", (id) => {
    const room = new TestRoom(id);
    expect(reasonOf(room.check(room.message(BOB)))).toMatch(/sender is not joined to the room/);
    room.member(BOB, "invite", ALICE);
    expect(reasonOf(room.check(room.message(BOB)))).toMatch(/sender is not joined/);
    room.member(BOB, "join");
    expect(room.check(room.message(BOB)).allowed).toBe(true);
    room.member(BOB, "leave");
    expect(room.check(room.message(BOB)).allowed).toBe(false);
  });

  it.each(ALL_VERSIONS)("v%s: events_default governs messages", (id) => {
    const room = new TestRoom(id, { joined: [BOB, CAROL] });
    const creator = creatorUsers(room);
    room.powerLevels({ users: { ...creator, [CAROL]: 10 }, events_default: 10 });
    expect(reasonOf(room.check(room.message(BOB)))).toMatch(/below the level required for m.room.message/);
    expect(room.check(room.message(CAROL)).allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: state_default governs state; events overrides per type", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const topic = (sender: string) => room.event({ type: "m.room.topic", stateKey: "", sender, content: { topic: "t" } });
    expect(reasonOf(room.check(topic(BOB)))).toMatch(/below the level required for m.room.topic/);
    expect(room.check(topic(ALICE)).allowed).toBe(true);
    const creator = creatorUsers(room);
    room.powerLevels({ users: creator, events: { "m.room.topic": 0 } });
    expect(room.check(topic(BOB)).allowed).toBe(true);
    room.powerLevels({ users: creator, state_default: 0, events: { "m.room.topic": 1 } });
    expect(room.check(topic(BOB)).allowed).toBe(false);
  });

  it.each(ALL_VERSIONS)("v%s: with no power levels, state needs 50 and messages 0", (id) => {
    const room = new TestRoom(id, { joined: [BOB], powerLevels: null });
    expect(room.check(room.message(BOB)).allowed).toBe(true);
    expect(room.check(room.event({ type: "m.room.name", stateKey: "", sender: BOB, content: { name: "n" } })).allowed).toBe(false);
    expect(room.check(room.event({ type: "m.room.name", stateKey: "", sender: ALICE, content: { name: "n" } })).allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: a state_key starting with @ must be the sender", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const creator = creatorUsers(room);
    room.powerLevels({ users: creator, state_default: 0 });
    const ev = (stateKey: string) => room.event({ type: "org.example.status", stateKey, sender: BOB, content: {} });
    expect(reasonOf(room.check(ev(ALICE)))).toMatch(/state_key starts with @ and does not match the sender/);
    expect(room.check(ev(BOB)).allowed).toBe(true);
    expect(room.check(ev("plain")).allowed).toBe(true);
  });

  it.each(versions(12))("v%s: creators pass every level check", (id) => {
    const room = new TestRoom(id, { createContent: { additional_creators: [CAROL] }, joined: [CAROL] });
    room.powerLevels({ state_default: 9_007_199_254_740_991, events_default: 9_007_199_254_740_991 });
    expect(room.check(room.message(CAROL)).allowed).toBe(true);
    expect(room.check(room.event({ type: "m.room.tombstone", stateKey: "", sender: CAROL, content: {} })).allowed).toBe(true);
  });
});
