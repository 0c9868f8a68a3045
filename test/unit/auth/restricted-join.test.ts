import { describe, expect, it } from "vitest";
import { authorisingServer } from "../../../src/rooms/auth/restricted-join.js";
import { ALICE, BOB, CAROL, TestRoom, V, makeEvent, reasonOf, versions, creatorUsers } from "./fixtures.js";

const VIA = "join_authorised_via_users_server";

/** A restricted room with CAROL joined; `carolLevel` her power level, invite level 20. */
function restrictedRoom(id: string, rule = "restricted", carolLevel = 50): TestRoom {
  const room = new TestRoom(id, { joinRule: rule, joined: [CAROL] });
  const creator = creatorUsers(room);
  room.powerLevels({ users: { ...creator, [CAROL]: carolLevel }, invite: 20 });
  room.joinRules(rule, { allow: [{ type: "m.room_membership", room_id: "!space:a.example" }] });
  return room;
}

const bothSign = ["b.example", "c.example"];

describe("restricted join rule (v8+)", () => {
  it.each(versions(8))("v%s: a join authorised by a joined user with the invite level, signed by that user's server, is allowed", (id) => {
    const room = restrictedRoom(id);
    expect(room.checkMember(BOB, BOB, "join", { [VIA]: CAROL }, bothSign)).toEqual({ allowed: true });
  });

  it.each(versions(8))("v%s: the authorising user must be joined", (id) => {
    const room = restrictedRoom(id);
    room.member(CAROL, "leave");
    expect(reasonOf(room.checkMember(BOB, BOB, "join", { [VIA]: CAROL }, bothSign))).toMatch(/is not a joined member/);
  });

  it.each(versions(8))("v%s: the authorising user must have the invite level", (id) => {
    const room = restrictedRoom(id, "restricted", 10);
    expect(reasonOf(room.checkMember(BOB, BOB, "join", { [VIA]: CAROL }, bothSign))).toMatch(/lacks the invite level/);
  });

  it.each(versions(8))("v%s: a join with no authorising user is rejected unless invited", (id) => {
    const room = restrictedRoom(id);
    expect(reasonOf(room.checkMember(BOB, BOB, "join"))).toMatch(/restricted join without join_authorised_via_users_server/);
    room.member(BOB, "invite", ALICE);
    expect(room.checkMember(BOB, BOB, "join").allowed).toBe(true);
  });

  it.each(versions(8))("v%s: the event must be signed by the authorising user's server", (id) => {
    const room = restrictedRoom(id);
    expect(reasonOf(room.checkMember(BOB, BOB, "join", { [VIA]: CAROL }, ["b.example"]))).toMatch(/not signed by the server of join_authorised_via_users_server/);
  });

  it.each(versions(8))("v%s: the signature rule applies to every membership carrying the key", (id) => {
    const room = restrictedRoom(id);
    room.member(BOB, "join");
    expect(reasonOf(room.checkMember(BOB, BOB, "leave", { [VIA]: CAROL }, ["b.example"]))).toMatch(/not signed by the server/);
    expect(room.checkMember(BOB, BOB, "leave", { [VIA]: CAROL }, bothSign).allowed).toBe(true);
  });

  it.each(versions(8))("v%s: a key that is not a user ID is rejected", (id) => {
    const room = restrictedRoom(id);
    expect(reasonOf(room.checkMember(BOB, BOB, "join", { [VIA]: "carol" }, bothSign))).toMatch(/is not a user ID/);
  });

  it.each(versions(1, 7))("v%s: restricted is unknown: rejected, and the key means nothing", (id) => {
    const room = restrictedRoom(id);
    expect(reasonOf(room.checkMember(BOB, BOB, "join", { [VIA]: CAROL }, bothSign))).toMatch(/join rule does not allow joining/);
    room.joinRules("public");
    expect(room.checkMember(BOB, BOB, "join", { [VIA]: CAROL }, ["b.example"]).allowed).toBe(true);
  });

  it.each(versions(10))("v%s: knock_restricted allows authorised joins", (id) => {
    const room = restrictedRoom(id, "knock_restricted");
    expect(room.checkMember(BOB, BOB, "join", { [VIA]: CAROL }, bothSign).allowed).toBe(true);
    expect(room.checkMember(BOB, BOB, "join").allowed).toBe(false);
  });

  it.each(versions(8, 9))("v%s: knock_restricted is unknown before v10", (id) => {
    const room = restrictedRoom(id, "knock_restricted");
    expect(reasonOf(room.checkMember(BOB, BOB, "join", { [VIA]: CAROL }, bothSign))).toMatch(/join rule does not allow joining/);
  });

  it("v12: a creator (infinite level) can authorise", () => {
    const room = restrictedRoom("12");
    expect(room.checkMember(BOB, BOB, "join", { [VIA]: ALICE }, ["b.example", "a.example"]).allowed).toBe(true);
  });
});

describe("authorisingServer", () => {
  it("names the server of join_authorised_via_users_server from v8", () => {
    const ev = (id: string) => makeEvent(V(id), { type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join", [VIA]: CAROL } });
    expect(authorisingServer(ev("8"), V(8))).toBe("c.example");
    expect(authorisingServer(ev("12"), V(12))).toBe("c.example");
    expect(authorisingServer(ev("7"), V(7))).toBeUndefined();
  });
  it("is undefined without the key or for other event types", () => {
    const v = V(10);
    expect(authorisingServer(makeEvent(v, { type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join" } }), v)).toBeUndefined();
    expect(authorisingServer(makeEvent(v, { type: "m.room.message", sender: BOB, content: { [VIA]: CAROL } }), v)).toBeUndefined();
  });
});
