import { describe, expect, it } from "vitest";
import type { RoomEvent } from "../../../src/events/types.js";
import { authEventTypes } from "../../../src/rooms/auth/auth-events-selection.js";
import { checkAgainstAuthEvents } from "../../../src/rooms/auth/check-auth-events.js";
import { ALICE, ALL_VERSIONS, BOB, CAROL, type EventSpec, TestRoom, V, reasonOf, versions, creatorUsers } from "./fixtures.js";

type Entry = { event: RoomEvent; rejected: boolean };

/** Build `spec` in `room` with the auth_events the selection algorithm picks from its state. */
function withAuth(room: TestRoom, spec: EventSpec): { ev: RoomEvent; entries: Entry[] } {
  const state = room.lookup();
  const picked = authEventTypes({ type: spec.type, stateKey: spec.stateKey, sender: spec.sender, content: spec.content ?? {} }, room.version)
    .map((t) => state.get(t.type, t.stateKey))
    .filter((e): e is RoomEvent => e !== undefined);
  const ev = room.event({ ...spec, authEvents: picked.map((e) => e.eventId) });
  return { ev, entries: picked.map((event) => ({ event, rejected: false })) };
}

function check(room: TestRoom, ev: RoomEvent, entries: Entry[]) {
  return checkAgainstAuthEvents(ev, entries, room.version, room.version.roomIdFromCreateEvent ? room.create : undefined);
}

const msg = (sender: string): EventSpec => ({ type: "m.room.message", sender, content: { body: "x" } });

describe("authEventTypes", () => {
  const key = (ts: { type: string; stateKey: string }[]) => ts.map((t) => `${t.type}|${t.stateKey}`).sort();

  it("the create event has none", () => {
    expect(authEventTypes({ type: "m.room.create", stateKey: "", sender: ALICE, content: {} }, V(1))).toEqual([]);
  });

  it.each(versions(1, 11))("v%s: a message needs create, power levels and the sender's membership", (id) => {
    expect(key(authEventTypes({ type: "m.room.message", stateKey: undefined, sender: BOB, content: {} }, V(id)))).toEqual(
      ["m.room.create|", "m.room.member|" + BOB, "m.room.power_levels|"].sort(),
    );
  });

  it("v12: never the create event", () => {
    expect(key(authEventTypes({ type: "m.room.message", stateKey: undefined, sender: BOB, content: {} }, V(12)))).toEqual(
      ["m.room.member|" + BOB, "m.room.power_levels|"].sort(),
    );
  });

  it("member events add the target and, for join/invite/knock, the join rules", () => {
    const v = V(10);
    const of = (membership: string) => key(authEventTypes({ type: "m.room.member", stateKey: CAROL, sender: BOB, content: { membership } }, v));
    const base = ["m.room.create|", "m.room.power_levels|", "m.room.member|" + BOB, "m.room.member|" + CAROL];
    for (const m of ["join", "invite", "knock"]) expect(of(m)).toEqual([...base, "m.room.join_rules|"].sort());
    for (const m of ["leave", "ban"]) expect(of(m)).toEqual([...base].sort());
  });

  it("a third-party invite adds the m.room.third_party_invite named by the token", () => {
    const content = { membership: "invite", third_party_invite: { signed: { mxid: CAROL, token: "abc", signatures: {} } } };
    expect(key(authEventTypes({ type: "m.room.member", stateKey: CAROL, sender: BOB, content }, V(3)))).toContain("m.room.third_party_invite|abc");
  });

  it("from v8, a join adds the authorising user's membership", () => {
    const content = { membership: "join", join_authorised_via_users_server: ALICE };
    const ev = { type: "m.room.member", stateKey: BOB, sender: BOB, content };
    expect(key(authEventTypes(ev, V(8)))).toContain("m.room.member|" + ALICE);
    expect(key(authEventTypes(ev, V(7)))).not.toContain("m.room.member|" + ALICE);
    const leave = { ...ev, content: { membership: "leave", join_authorised_via_users_server: ALICE } };
    expect(key(authEventTypes(leave, V(8)))).not.toContain("m.room.member|" + ALICE);
  });

  it("a sender who is the target is listed once", () => {
    const ts = authEventTypes({ type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join" } }, V(10));
    expect(ts.filter((t) => t.type === "m.room.member")).toHaveLength(1);
  });
});

describe("checkAgainstAuthEvents", () => {
  it.each(ALL_VERSIONS)("v%s: an event with exactly the selected auth events passes", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const { ev, entries } = withAuth(room, msg(BOB));
    expect(check(room, ev, entries)).toEqual({ allowed: true });
  });

  it.each(ALL_VERSIONS)("v%s: the rules then run against the auth events (not joined → rejected)", (id) => {
    const room = new TestRoom(id);
    const { ev, entries } = withAuth(room, msg(BOB));
    expect(reasonOf(check(room, ev, entries))).toMatch(/sender is not joined/);
  });

  it.each(ALL_VERSIONS)("v%s: the create event itself is judged by the create rules only", (id) => {
    const room = new TestRoom(id);
    expect(checkAgainstAuthEvents(room.create, [], room.version)).toEqual({ allowed: true });
  });

  it.each(ALL_VERSIONS)("v%s: duplicate entries for one (type, state_key) are rejected", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const oldJoin = room.lookup().get("m.room.member", BOB)!;
    room.member(BOB, "join");
    const { ev, entries } = withAuth(room, msg(BOB));
    const dup = { ...ev, authEvents: [...ev.authEvents, oldJoin.eventId] };
    expect(reasonOf(check(room, dup, [...entries, { event: oldJoin, rejected: false }]))).toMatch(/duplicate entries for \(m.room.member/);
    const sameTwice = { ...ev, authEvents: [...ev.authEvents, ev.authEvents[0]!] };
    expect(reasonOf(check(room, sameTwice, entries))).toMatch(/duplicate entries/);
  });

  it.each(ALL_VERSIONS)("v%s: an entry the selection does not call for is rejected", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const { ev, entries } = withAuth(room, msg(BOB));
    const joinRules = room.lookup().get("m.room.join_rules", "")!;
    const extra = { ...ev, authEvents: [...ev.authEvents, joinRules.eventId] };
    expect(reasonOf(check(room, extra, [...entries, { event: joinRules, rejected: false }]))).toMatch(/m.room.join_rules entry is not called for/);
  });

  it.each(ALL_VERSIONS)("v%s: a rejected entry is rejected", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const { ev, entries } = withAuth(room, msg(BOB));
    const marked = entries.map((e) => ({ ...e, rejected: e.event.type === "m.room.power_levels" }));
    expect(reasonOf(check(room, ev, marked))).toMatch(/was rejected/);
  });

  it.each(ALL_VERSIONS)("v%s: an entry from another room is rejected", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const { ev, entries } = withAuth(room, msg(BOB));
    const moved = entries.map((e) => (e.event.type === "m.room.power_levels" ? { ...e, event: { ...e.event, roomId: "!elsewhere:b.example" } } : e));
    expect(reasonOf(check(room, ev, moved))).toMatch(/belongs to another room/);
  });

  it.each(versions(1, 11))("v%s: without the create event among them, rejected", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const { ev, entries } = withAuth(room, msg(BOB));
    const noCreate = entries.filter((e) => e.event.type !== "m.room.create");
    const ev2 = { ...ev, authEvents: noCreate.map((e) => e.event.eventId) };
    expect(reasonOf(check(room, ev2, noCreate))).toMatch(/no m.room.create event among the auth events/);
  });

  it("v12: the create event among them is rejected", () => {
    const room = new TestRoom(12, { joined: [BOB] });
    const { ev, entries } = withAuth(room, msg(BOB));
    const withCreate = { ...ev, authEvents: [...ev.authEvents, room.create.eventId] };
    expect(reasonOf(check(room, withCreate, [...entries, { event: room.create, rejected: false }]))).toMatch(/m.room.create must not be among the auth events/);
  });

  it("v12: the room ID must be the create event's ID; the create event is required", () => {
    const room = new TestRoom(12, { joined: [BOB] });
    const { ev, entries } = withAuth(room, msg(BOB));
    expect(reasonOf(checkAgainstAuthEvents(ev, entries, room.version))).toMatch(/room_id is not the ID of an accepted m.room.create event/);
    const otherCreate = new TestRoom(12).create;
    expect(reasonOf(checkAgainstAuthEvents(ev, entries, room.version, otherCreate))).toMatch(/room_id is not the ID of an accepted m.room.create/);
    expect(checkAgainstAuthEvents(ev, entries, room.version, room.create).allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: an auth event the caller did not resolve is reported", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const { ev, entries } = withAuth(room, msg(BOB));
    expect(reasonOf(check(room, ev, entries.slice(1)))).toMatch(/was not resolved/);
  });

  it.each(versions(8))("v%s: a restricted join citing the authorising user's membership passes", (id) => {
    const room = new TestRoom(id, { joinRule: "restricted", joined: [CAROL] });
    const creator = creatorUsers(room);
    room.powerLevels({ users: { ...creator, [CAROL]: 50 } });
    const { ev, entries } = withAuth(room, {
      type: "m.room.member", stateKey: BOB, sender: BOB, signedBy: ["b.example", "c.example"],
      content: { membership: "join", join_authorised_via_users_server: CAROL },
    });
    expect(entries.some((e) => e.event.stateKey === CAROL)).toBe(true);
    expect(check(room, ev, entries)).toEqual({ allowed: true });
    // Without CAROL's membership among the auth events, she is not a joined member.
    const without = entries.filter((e) => e.event.stateKey !== CAROL);
    expect(reasonOf(check(room, { ...ev, authEvents: without.map((e) => e.event.eventId) }, without))).toMatch(/is not a joined member/);
  });
});
