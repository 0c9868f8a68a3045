import { describe, expect, it } from "vitest";
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, TestRoom, reasonOf, versions, creatorUsers } from "./fixtures.js";

describe("m.room.member: general", () => {
  it.each(ALL_VERSIONS)("v%s: a member event without membership is rejected", (id) => {
    const room = new TestRoom(id);
    const ev = room.event({ type: "m.room.member", stateKey: BOB, sender: BOB, content: { displayname: "B" } });
    expect(reasonOf(room.check(ev))).toMatch(/no state_key or no content.membership/);
  });

  it.each(ALL_VERSIONS)("v%s: a member event without state_key is rejected", (id) => {
    const room = new TestRoom(id);
    const ev = room.event({ type: "m.room.member", sender: BOB, content: { membership: "join" } });
    expect(reasonOf(room.check(ev))).toMatch(/no state_key or no content.membership/);
  });

  it.each(ALL_VERSIONS)("v%s: an unknown membership is rejected", (id) => {
    const room = new TestRoom(id);
    expect(reasonOf(room.checkMember(BOB, BOB, "lurk"))).toMatch(/unknown membership/);
  });
});

describe("m.room.member join", () => {
  it.each(ALL_VERSIONS)("v%s: the creator's first join right after the create event is allowed", (id) => {
    const room = new TestRoom(id, { powerLevels: null, joinRule: null });
    room.remove("m.room.member", ALICE);
    const join = room.event({ type: "m.room.member", stateKey: ALICE, sender: ALICE, content: { membership: "join" }, prevEvents: [room.create.eventId] });
    expect(room.check(join).allowed).toBe(true);
    // Same join with a different prev event: the invite-only default applies and it fails.
    const late = room.event({ type: "m.room.member", stateKey: ALICE, sender: ALICE, content: { membership: "join" }, prevEvents: ["$x"] });
    expect(reasonOf(room.check(late))).toMatch(/invite-only room/);
  });

  it("v10: the first-join rule looks at content.creator; v11 at the create sender", () => {
    for (const [id, allowedUser, deniedUser] of [["10", BOB, ALICE], ["11", ALICE, BOB]] as const) {
      const room = new TestRoom(id, { createContent: { creator: BOB }, powerLevels: null, joinRule: null });
      room.remove("m.room.member", ALICE);
      const mk = (u: string) => room.event({ type: "m.room.member", stateKey: u, sender: u, content: { membership: "join" }, prevEvents: [room.create.eventId] });
      expect(room.check(mk(allowedUser)).allowed).toBe(true);
      expect(room.check(mk(deniedUser)).allowed).toBe(false);
    }
  });

  it.each(ALL_VERSIONS)("v%s: sender must match state_key", (id) => {
    const room = new TestRoom(id);
    expect(reasonOf(room.checkMember(ALICE, BOB, "join"))).toMatch(/join: sender does not match state_key/);
  });

  it.each(ALL_VERSIONS)("v%s: a banned sender cannot join a public room", (id) => {
    const room = new TestRoom(id);
    room.member(BOB, "ban", ALICE);
    expect(reasonOf(room.checkMember(BOB, BOB, "join"))).toMatch(/join: sender is banned/);
  });

  it.each(ALL_VERSIONS)("v%s: anyone not banned may join a public room", (id) => {
    const room = new TestRoom(id);
    expect(room.checkMember(BOB, BOB, "join").allowed).toBe(true);
    room.member(BOB, "leave");
    expect(room.checkMember(BOB, BOB, "join").allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: invite rule: invited or joined may join, others not", (id) => {
    const room = new TestRoom(id, { joinRule: "invite" });
    expect(reasonOf(room.checkMember(BOB, BOB, "join"))).toMatch(/invite-only room and sender is not invited or joined/);
    room.member(BOB, "invite", ALICE);
    expect(room.checkMember(BOB, BOB, "join").allowed).toBe(true);
    room.member(BOB, "join");
    expect(room.checkMember(BOB, BOB, "join").allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: with no join-rules event the room is invite-only", (id) => {
    const room = new TestRoom(id, { joinRule: null });
    expect(room.checkMember(BOB, BOB, "join").allowed).toBe(false);
    room.member(BOB, "invite", ALICE);
    expect(room.checkMember(BOB, BOB, "join").allowed).toBe(true);
  });

  it.each(versions(7))("v%s: knock rule: invited users may join", (id) => {
    const room = new TestRoom(id, { joinRule: "knock" });
    expect(room.checkMember(BOB, BOB, "join").allowed).toBe(false);
    room.member(BOB, "invite", ALICE);
    expect(room.checkMember(BOB, BOB, "join").allowed).toBe(true);
  });

  it.each(versions(1, 6))("v%s: knock join rule is unknown, so even an invited user cannot join", (id) => {
    const room = new TestRoom(id, { joinRule: "knock" });
    room.member(BOB, "invite", ALICE);
    expect(reasonOf(room.checkMember(BOB, BOB, "join"))).toMatch(/join rule does not allow joining/);
  });

  it.each(ALL_VERSIONS)("v%s: private join rule never allows a join", (id) => {
    const room = new TestRoom(id, { joinRule: "private" });
    room.member(BOB, "invite", ALICE);
    expect(reasonOf(room.checkMember(BOB, BOB, "join"))).toMatch(/join rule does not allow joining/);
  });
});

describe("m.room.member invite", () => {
  it.each(ALL_VERSIONS)("v%s: a joined sender at the invite level may invite", (id) => {
    const room = new TestRoom(id);
    expect(room.checkMember(ALICE, BOB, "invite").allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: the sender must be joined", (id) => {
    const room = new TestRoom(id);
    expect(reasonOf(room.checkMember(CAROL, BOB, "invite"))).toMatch(/invite: sender is not joined/);
    room.member(CAROL, "invite", ALICE);
    expect(reasonOf(room.checkMember(CAROL, BOB, "invite"))).toMatch(/invite: sender is not joined/);
  });

  it.each(ALL_VERSIONS)("v%s: a joined or banned target cannot be invited", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    expect(reasonOf(room.checkMember(ALICE, BOB, "invite"))).toMatch(/target user is joined or banned/);
    room.member(CAROL, "ban", ALICE);
    expect(reasonOf(room.checkMember(ALICE, CAROL, "invite"))).toMatch(/target user is joined or banned/);
  });

  it.each(ALL_VERSIONS)("v%s: the sender needs the invite level", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const users = creatorUsers(room);
    room.powerLevels({ users, invite: 10 });
    expect(reasonOf(room.checkMember(BOB, CAROL, "invite"))).toMatch(/below the invite level/);
    room.powerLevels({ users: { ...users, [BOB]: 10 }, invite: 10 });
    expect(room.checkMember(BOB, CAROL, "invite").allowed).toBe(true);
  });
});

describe("m.room.member leave", () => {
  it.each(ALL_VERSIONS)("v%s: a joined user may leave; an invited user may reject", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    expect(room.checkMember(BOB, BOB, "leave").allowed).toBe(true);
    room.member(CAROL, "invite", ALICE);
    expect(room.checkMember(CAROL, CAROL, "leave").allowed).toBe(true);
  });

  it.each(ALL_VERSIONS)("v%s: a user who is not in the room (or left, or banned) cannot leave", (id) => {
    const room = new TestRoom(id);
    expect(reasonOf(room.checkMember(BOB, BOB, "leave"))).toMatch(/leave: sender is not invited or joined/);
    room.member(BOB, "leave");
    expect(room.checkMember(BOB, BOB, "leave").allowed).toBe(false);
    room.member(BOB, "ban", ALICE);
    expect(room.checkMember(BOB, BOB, "leave").allowed).toBe(false);
  });

  it.each(versions(7))("v%s: a knocking user may retract the knock", (id) => {
    const room = new TestRoom(id, { joinRule: "knock" });
    room.member(BOB, "knock");
    expect(room.checkMember(BOB, BOB, "leave").allowed).toBe(true);
  });

  it.each(versions(1, 6))("v%s: knock is no membership, so leaving from it is rejected", (id) => {
    const room = new TestRoom(id);
    room.member(BOB, "knock");
    expect(room.checkMember(BOB, BOB, "leave").allowed).toBe(false);
  });

  it.each(ALL_VERSIONS)("v%s: kick needs a joined sender at the kick level above the target", (id) => {
    const room = new TestRoom(id, { joined: [BOB, CAROL, DAVE] });
    const creator = creatorUsers(room);
    room.powerLevels({ users: { ...creator, [BOB]: 50, [CAROL]: 50, [DAVE]: 10 }, kick: 40 });
    expect(room.checkMember(BOB, DAVE, "leave").allowed).toBe(true);
    expect(reasonOf(room.checkMember(BOB, CAROL, "leave"))).toMatch(/kick level or not above the target/);
    expect(reasonOf(room.checkMember(DAVE, BOB, "leave"))).toMatch(/kick level or not above the target/);
    expect(reasonOf(room.checkMember("@eve:e.example", DAVE, "leave"))).toMatch(/leave: sender is not joined/);
  });

  it.each(ALL_VERSIONS)("v%s: unbanning needs the ban level as well as the kick level", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const creator = creatorUsers(room);
    room.powerLevels({ users: { ...creator, [BOB]: 50 }, kick: 50, ban: 60 });
    room.member(CAROL, "ban", ALICE);
    expect(reasonOf(room.checkMember(BOB, CAROL, "leave"))).toMatch(/target is banned and sender power level is below the ban level/);
    room.powerLevels({ users: { ...creator, [BOB]: 60 }, kick: 50, ban: 60 });
    expect(room.checkMember(BOB, CAROL, "leave").allowed).toBe(true);
  });
});

describe("m.room.member ban", () => {
  it.each(ALL_VERSIONS)("v%s: ban needs a joined sender at the ban level above the target", (id) => {
    const room = new TestRoom(id, { joined: [BOB, CAROL] });
    const creator = creatorUsers(room);
    room.powerLevels({ users: { ...creator, [BOB]: 50, [CAROL]: 50 } });
    expect(room.checkMember(ALICE, BOB, "ban").allowed).toBe(true);
    expect(room.checkMember(BOB, DAVE, "ban").allowed).toBe(true); // not in the room: level 0
    expect(reasonOf(room.checkMember(BOB, CAROL, "ban"))).toMatch(/ban level or not above the target/);
    room.powerLevels({ users: { ...creator, [BOB]: 50 }, ban: 51 });
    expect(reasonOf(room.checkMember(BOB, DAVE, "ban"))).toMatch(/ban level or not above the target/);
    expect(reasonOf(room.checkMember(DAVE, BOB, "ban"))).toMatch(/ban: sender is not joined/);
  });
});

describe("m.room.member knock", () => {
  it.each(versions(7))("v%s: a user unrelated to the room may knock when the join rule is knock", (id) => {
    const room = new TestRoom(id, { joinRule: "knock" });
    expect(room.checkMember(BOB, BOB, "knock").allowed).toBe(true);
    room.member(BOB, "leave");
    expect(room.checkMember(BOB, BOB, "knock").allowed).toBe(true);
  });

  it.each(versions(1, 6))("v%s: knock is an unknown membership", (id) => {
    const room = new TestRoom(id, { joinRule: "knock" });
    expect(reasonOf(room.checkMember(BOB, BOB, "knock"))).toMatch(/unknown membership/);
  });

  it.each(versions(7))("v%s: knocking needs the knock join rule", (id) => {
    for (const rule of ["public", "invite", "restricted", "private"]) {
      const room = new TestRoom(id, { joinRule: rule });
      expect(reasonOf(room.checkMember(BOB, BOB, "knock"))).toMatch(/join rule does not allow knocking/);
    }
  });

  it.each(versions(7))("v%s: sender must match state_key", (id) => {
    const room = new TestRoom(id, { joinRule: "knock" });
    expect(reasonOf(room.checkMember(ALICE, BOB, "knock"))).toMatch(/knock: sender does not match state_key/);
  });

  it.each(versions(7))("v%s: banned, invited or joined users cannot knock", (id) => {
    for (const membership of ["ban", "invite", "join"]) {
      const room = new TestRoom(id, { joinRule: "knock" });
      room.member(BOB, membership, ALICE);
      expect(reasonOf(room.checkMember(BOB, BOB, "knock"))).toMatch(/knock: sender is banned, invited or joined/);
    }
  });

  it.each(versions(10))("v%s: knock_restricted accepts knocks", (id) => {
    const room = new TestRoom(id, { joinRule: "knock_restricted" });
    expect(room.checkMember(BOB, BOB, "knock").allowed).toBe(true);
  });

  it.each(versions(7, 9))("v%s: knock_restricted is not a knock rule yet", (id) => {
    const room = new TestRoom(id, { joinRule: "knock_restricted" });
    expect(room.checkMember(BOB, BOB, "knock").allowed).toBe(false);
  });
});

describe("level boundaries: being exactly at a level is enough", () => {
  it.each(ALL_VERSIONS)("v%s: invite, kick and ban at exactly the level", (id) => {
    const room = new TestRoom(id, { joined: [BOB, CAROL, DAVE] });
    const creator = creatorUsers(room);
    room.powerLevels({ users: { ...creator, [BOB]: 30, [DAVE]: 29 }, invite: 30, kick: 30, ban: 30 });
    expect(room.checkMember(BOB, "@new:x.example", "invite").allowed).toBe(true);
    expect(room.checkMember(BOB, CAROL, "leave").allowed).toBe(true);
    expect(room.checkMember(BOB, CAROL, "ban").allowed).toBe(true);
    expect(room.checkMember(DAVE, "@new:x.example", "invite").allowed).toBe(false);
    expect(room.checkMember(DAVE, CAROL, "leave").allowed).toBe(false);
    expect(room.checkMember(DAVE, CAROL, "ban").allowed).toBe(false);
  });
});
