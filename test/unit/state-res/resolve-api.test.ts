/**
 * The two entry points: `resolveState` over whole maps and `resolveConflicted` over the
 * conflicted slots plus a view of the unconflicted state (what the storage-backed caller has).
 */
import { describe, expect, it } from "vitest";
import { getRoomVersion } from "../../../src/events/room-versions.js";
import { type StateKey, stateKey } from "../../../src/events/types.js";
import { resolveConflicted, resolveState, separateStateSets } from "../../../src/rooms/state-res/index.js";
import type { UnconflictedState } from "../../../src/rooms/state-res/types.js";
import { ALICE, BOB, EVELYN, JOIN, RoomFixture, TOPIC_SLOT, memberSlot, named, nameOf } from "./fixtures.js";

function room(versionId: string): RoomFixture {
  const r = new RoomFixture(versionId);
  r.create(ALICE);
  r.add({ name: "MA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN });
  r.add({ name: "P0", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: r.version.creatorsHaveInfinitePower ? {} : { [ALICE]: 100 }, state_default: 0 }, auth: ["MA"] });
  r.add({ name: "JR", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" }, auth: ["MA", "P0"] });
  r.add({ name: "MB", type: "m.room.member", stateKey: BOB, sender: BOB, content: JOIN, auth: ["P0", "JR"] });
  r.add({ name: "TA", type: "m.room.topic", stateKey: "", sender: ALICE, content: { topic: "a" }, auth: ["P0", "MA"] });
  r.add({ name: "TB", type: "m.room.topic", stateKey: "", sender: BOB, content: { topic: "b" }, auth: ["P0", "MB"] });
  return r;
}
const BASE = ["CREATE", "MA", "P0", "JR", "MB"];

/** An unconflicted view that counts how it is used, standing in for a persistent map. */
function countingView(map: ReadonlyMap<StateKey, string>): UnconflictedState & { gets: number; scans: number } {
  const view = {
    gets: 0,
    scans: 0,
    get(slot: StateKey) {
      view.gets++;
      return map.get(slot);
    },
    eventIds() {
      view.scans++;
      return map.values();
    },
  };
  return view;
}

describe("separateStateSets", () => {
  it("treats absence as a value of its own and keeps each set's event by position", () => {
    const r = room("11");
    const a = r.state(...BASE, "TA");
    const b = r.state(...BASE);
    const c = r.state(...BASE, "TB");
    const { unconflicted, conflicted } = separateStateSets([a, b, c]);
    expect([...unconflicted.keys()].sort()).toEqual([...b.keys()].sort());
    expect([...conflicted.keys()]).toEqual([TOPIC_SLOT]);
    expect(conflicted.get(TOPIC_SLOT)).toEqual([r.id("TA"), undefined, r.id("TB")]);
  });
});

describe("resolveConflicted", () => {
  for (const version of ["1", "2", "11", "12"]) {
    it(`gives what resolveState gives, as changes over the unconflicted state (room ${version})`, () => {
      const r = room(version);
      const sets = [r.state(...BASE, "TA"), r.state(...BASE, "TB")];
      const { unconflicted, conflicted } = separateStateSets(sets);
      const view = countingView(unconflicted);
      const changes = resolveConflicted(r.version, { conflicted, unconflicted: view }, r.provider());
      for (const slot of changes.keys()) expect(unconflicted.has(slot)).toBe(false);
      const whole = resolveState(r.version, sets, r.provider());
      expect(named(new Map([...unconflicted, ...changes]))).toEqual(named(whole));
      expect(whole.has(TOPIC_SLOT)).toBe(true);
    });
  }

  it("does nothing for no conflicts and never reads the unconflicted state then", () => {
    const r = room("12");
    const view = countingView(new Map());
    expect(resolveConflicted(r.version, { conflicted: new Map(), unconflicted: view }, r.provider()).size).toBe(0);
    expect(view.gets + view.scans).toBe(0);
  });

  it("rejects malformed input: uneven value arrays, a single state set, a slot that is not conflicted", () => {
    const r = room("12");
    const view = countingView(new Map());
    const call = (conflicted: Map<StateKey, (string | undefined)[]>) =>
      resolveConflicted(r.version, { conflicted, unconflicted: view }, r.provider());
    expect(() => call(new Map([[TOPIC_SLOT, [r.id("TA"), undefined]], ["x\u0000", [r.id("TB")]]]))).toThrow(TypeError);
    expect(() => call(new Map([[TOPIC_SLOT, [r.id("TA")]]]))).toThrow(TypeError);
    expect(() => call(new Map([[TOPIC_SLOT, [r.id("TA"), r.id("TA")]]]))).toThrow(TypeError);
  });

  it("can fill a slot no state set held: an auth-difference event that passes", () => {
    // Evelyn joins (EJ) and sets the topic (ET). One state set holds ET but, after some reset,
    // not Evelyn's membership; the other holds neither. EJ is in the auth difference, passes,
    // and lands in Evelyn's slot, which neither input held.
    const r = room("11");
    r.add({ name: "EJ", type: "m.room.member", stateKey: EVELYN, sender: EVELYN, content: JOIN, auth: ["P0", "JR"] });
    r.add({ name: "ET", type: "m.room.topic", stateKey: "", sender: EVELYN, content: { topic: "e" }, auth: ["P0", "EJ"] });
    const sets = [r.state(...BASE, "ET"), r.state(...BASE)];
    const got = resolveState(r.version, sets, r.provider());
    expect(nameOf(got.get(memberSlot(EVELYN))!)).toBe("EJ");
    expect(nameOf(got.get(TOPIC_SLOT)!)).toBe("ET");
  });
});

describe("resolveState", () => {
  it("returns a copy for zero or one state sets", () => {
    const r = room("12");
    const v = getRoomVersion("12")!;
    expect(resolveState(v, [], r.provider()).size).toBe(0);
    const only = r.state(...BASE);
    const got = resolveState(v, [only], r.provider());
    expect(got).toEqual(only);
    expect(got).not.toBe(only);
  });

  it("skips events the server does not hold", () => {
    const r = room("11");
    const ghost = "$GHOST";
    const a = new Map([...r.state(...BASE), [stateKey("m.room.topic", ""), ghost]]);
    const b = r.state(...BASE, "TA");
    const got = resolveState(r.version, [a, b], r.provider());
    expect(nameOf(got.get(TOPIC_SLOT)!)).toBe("TA");
  });
});
