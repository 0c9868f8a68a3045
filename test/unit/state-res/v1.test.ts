/**
 * State resolution v1 (rooms/v1.md "State resolution"): power levels, then join rules, then
 * memberships, each by ascending depth / descending sha1(event_id) and stopping at the first
 * event that fails auth; other slots take the deepest (then lowest-sha1) event that passes.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { resolveState } from "../../../src/rooms/state-res/resolve.js";
import {
  ALICE, BAN, BOB, CHARLIE, JOIN, LEAVE, PL_SLOT, RoomFixture, TOPIC_SLOT, memberSlot, nameOf,
} from "./fixtures.js";
import { expectOrderIndependent } from "./scenario-helpers.js";

/** CREATE ← MA ← P0 (Alice 100, Bob 50) ← JR (public) ← MB ← MC, linear, depths 1…6. */
function base(versionId = "1"): RoomFixture {
  const room = new RoomFixture(versionId);
  room.create(ALICE);
  room.add({ name: "MA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN });
  room.add({ name: "P0", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [ALICE]: 100, [BOB]: 50 } }, auth: ["MA"] });
  room.add({ name: "JR", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" }, auth: ["MA", "P0"] });
  room.add({ name: "MB", type: "m.room.member", stateKey: BOB, sender: BOB, content: JOIN, auth: ["P0", "JR"] });
  room.add({ name: "MC", type: "m.room.member", stateKey: CHARLIE, sender: CHARLIE, content: JOIN, auth: ["P0", "JR"] });
  return room;
}
const BASE = ["CREATE", "MA", "P0", "JR", "MB", "MC"];
const without = (...names: string[]) => BASE.filter((n) => !names.includes(n));

function resolveV1Stable(room: RoomFixture, sets: Map<string, string>[]): Map<string, string> {
  const got = resolveState(room.version, sets, room.provider());
  expectOrderIndependent(room, sets, got);
  return got;
}

const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

describe("state resolution v1", () => {
  it("power levels: takes the shallowest, then each deeper one while it passes, and stops at the first failure", () => {
    const room = base();
    const pl = (name: string, sender: string, users: Record<string, number>, prev: string) =>
      room.add({ name, type: "m.room.power_levels", stateKey: "", sender, content: { users }, auth: ["P0", sender === ALICE ? "MA" : "MC"], prev: [prev] });
    pl("P1", ALICE, { [ALICE]: 100, [BOB]: 50 }, "MC"); // depth 7
    room.add({ name: "X", type: "m.room.message", sender: ALICE, content: {}, prev: ["P1"] });
    pl("P2", CHARLIE, { [ALICE]: 100, [CHARLIE]: 100 }, "X"); // depth 9: Charlie (0) may not
    room.add({ name: "Y", type: "m.room.message", sender: ALICE, content: {}, prev: ["P2"] });
    pl("P3", ALICE, { [ALICE]: 100 }, "Y"); // depth 11: would pass, but the walk has stopped
    expect([7, 9, 11]).toEqual(["P1", "P2", "P3"].map((n) => room.ev(n).depth));

    const got = resolveV1Stable(room, [
      room.state(...without("P0"), "P1"),
      room.state(...without("P0"), "P2"),
      room.state(...without("P0"), "P3"),
    ]);
    expect(nameOf(got.get(PL_SLOT)!)).toBe("P1");
  });

  it("power levels: a deeper event that passes replaces the shallower one", () => {
    const room = base();
    room.add({ name: "PB", type: "m.room.power_levels", stateKey: "", sender: BOB, content: { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 } }, auth: ["P0", "MB"], prev: ["MC"] });
    room.add({ name: "X", type: "m.room.message", sender: ALICE, content: {}, prev: ["MC"] });
    room.add({ name: "PA", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [ALICE]: 100 } }, auth: ["P0", "MA"], prev: ["X"] });
    const got = resolveV1Stable(room, [room.state(...without("P0"), "PB"), room.state(...without("P0"), "PA")]);
    expect(nameOf(got.get(PL_SLOT)!)).toBe("PA");
  });

  it("memberships are resolved against the already-resolved power levels", () => {
    // Alice demotes Bob (PA); concurrently Bob kicks Charlie (KC). Bob's kick would pass under
    // P0, but the power levels are resolved first, and under PA Bob has no kick power.
    const room = base();
    room.add({ name: "PA", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [ALICE]: 100 } }, auth: ["P0", "MA"], prev: ["MC"] });
    room.add({ name: "KC", type: "m.room.member", stateKey: CHARLIE, sender: BOB, content: LEAVE, auth: ["P0", "MB", "MC"], prev: ["MC"] });
    const got = resolveV1Stable(room, [room.state(...without("P0"), "PA"), room.state(...without("MC"), "KC")]);
    expect(nameOf(got.get(PL_SLOT)!)).toBe("PA");
    expect(nameOf(got.get(memberSlot(CHARLIE))!)).toBe("MC");
  });

  it("memberships: a ban at lower depth blocks the deeper displayname change", () => {
    const room = base();
    room.add({ name: "KB", type: "m.room.member", stateKey: BOB, sender: ALICE, content: BAN, auth: ["P0", "MA", "MB"], prev: ["MC"] });
    room.add({ name: "X", type: "m.room.message", sender: BOB, content: {}, prev: ["MC"] });
    room.add({ name: "MB2", type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join", displayname: "b" }, auth: ["P0", "MB", "JR"], prev: ["X"] });
    const got = resolveV1Stable(room, [room.state(...without("MB"), "KB"), room.state(...without("MB"), "MB2")]);
    expect(nameOf(got.get(memberSlot(BOB))!)).toBe("KB");
  });

  it("other slots: the deepest event that passes auth; if none passes, the shallowest", () => {
    const room = base();
    room.add({ name: "TA", type: "m.room.topic", stateKey: "", sender: ALICE, content: { topic: "a" }, auth: ["P0", "MA"], prev: ["MC"] }); // depth 7
    room.add({ name: "X", type: "m.room.message", sender: ALICE, content: {}, prev: ["MC"] });
    room.add({ name: "TC", type: "m.room.topic", stateKey: "", sender: CHARLIE, content: { topic: "c" }, auth: ["P0", "MC"], prev: ["X"] }); // depth 8, fails
    let got = resolveV1Stable(room, [room.state(...BASE, "TA"), room.state(...BASE, "TC")]);
    expect(nameOf(got.get(TOPIC_SLOT)!)).toBe("TA");

    room.add({ name: "TC2", type: "m.room.topic", stateKey: "", sender: CHARLIE, content: { topic: "c2" }, auth: ["P0", "MC"], prev: ["TC"] }); // depth 9, fails
    got = resolveV1Stable(room, [room.state(...BASE, "TC2"), room.state(...BASE, "TC")]);
    expect(nameOf(got.get(TOPIC_SLOT)!)).toBe("TC");
  });

  it("other slots at equal depth: the lowest sha1(event_id) wins", () => {
    const room = base();
    const names = ["TX", "TY", "TZ"];
    for (const n of names) room.add({ name: n, type: "m.room.topic", stateKey: "", sender: ALICE, content: { topic: n }, auth: ["P0", "MA"], prev: ["MC"] });
    const lowest = [...names].sort((a, b) => (sha1(room.id(a)) < sha1(room.id(b)) ? -1 : 1))[0]!;
    const got = resolveV1Stable(room, names.map((n) => room.state(...BASE, n)));
    expect(nameOf(got.get(TOPIC_SLOT)!)).toBe(lowest);
  });

  it("a slot some states lack is not a conflict in v1 (kept unchecked), unlike v2", () => {
    // Charlie (power 0) could not set the topic; v1 never checks it because nothing conflicts.
    for (const [version, kept] of [["1", true], ["2", false]] as const) {
      const room = base(version);
      room.add({ name: "TC", type: "m.room.topic", stateKey: "", sender: CHARLIE, content: { topic: "c" }, auth: ["P0", "MC"] });
      const got = resolveV1Stable(room, [room.state(...BASE, "TC"), room.state(...BASE)]);
      expect(got.has(TOPIC_SLOT), `room version ${version}`).toBe(kept);
    }
  });

  it("leaves unconflicted slots alone and resolves join rules per slot", () => {
    const room = base();
    room.add({ name: "JRI", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "invite" }, auth: ["P0", "MA"], prev: ["MC"] });
    room.add({ name: "X", type: "m.room.message", sender: ALICE, content: {}, prev: ["MC"] });
    room.add({ name: "JRB", type: "m.room.join_rules", stateKey: "", sender: BOB, content: { join_rule: "public" }, auth: ["P0", "MB"], prev: ["X"] });
    const got = resolveV1Stable(room, [room.state(...without("JR"), "JRI"), room.state(...without("JR"), "JRB")]);
    // JRI (depth 7) first; JRB (Bob, 50 ≥ state_default 50) passes and replaces it.
    expect(nameOf(got.get("m.room.join_rules\u0000")!)).toBe("JRB");
    for (const n of without("JR")) {
      const ev = room.ev(n);
      expect(got.get(`${ev.type}\u0000${ev.stateKey}`)).toBe(ev.eventId);
    }
  });
});
