/**
 * The graph parts of state resolution, without the auth rules: event-ID order, the full
 * conflicted set (auth difference, v12 conflicted subgraph) checked against a naive reading of
 * the spec's definitions on random DAGs, the step-1 closure and ordering, mainline ordering.
 */
import { describe, expect, it } from "vitest";
import { stateKey } from "../../../src/events/types.js";
import { EventGraph } from "../../../src/rooms/state-res/event-graph.js";
import { compareEventIds } from "../../../src/rooms/state-res/event-ids.js";
import { ancestorsInclusive } from "../../../src/rooms/state-res/full-conflicted-set.js";
import { mainlineOrder } from "../../../src/rooms/state-res/mainline.js";
import { ConflictedAncestry, sortedPowerEvents } from "../../../src/rooms/state-res/power-events.js";
import { separateStateSets } from "../../../src/rooms/state-res/resolve.js";
import type { StateMap } from "../../../src/rooms/state-res/types.js";
import { ALICE, BOB, CHARLIE, JOIN, RoomFixture, nameOf, rng, shuffled } from "./fixtures.js";
import { fullConflictedNames } from "./scenario-helpers.js";

describe("compareEventIds", () => {
  it("orders ASCII IDs like string comparison", () => {
    expect(compareEventIds("$a", "$b")).toBeLessThan(0);
    expect(compareEventIds("$b", "$a")).toBeGreaterThan(0);
    expect(compareEventIds("$a", "$ab")).toBeLessThan(0);
    expect(compareEventIds("$A", "$a")).toBeLessThan(0);
    expect(compareEventIds("$x", "$x")).toBe(0);
  });

  it("orders by code point, not UTF-16 unit, when astral characters meet U+E000–U+FFFF", () => {
    // UTF-16 puts the surrogate pair of U+1F600 (0xD83D…) before U+FFFD; code points do not.
    expect("$\u{1F600}" < "$\uFFFD").toBe(true);
    expect(compareEventIds("$\u{1F600}", "$\uFFFD")).toBeGreaterThan(0);
    expect(compareEventIds("$\uFFFD", "$\u{1F600}")).toBeLessThan(0);
    expect(compareEventIds("$\u{1F600}", "$\u{1F601}")).toBeLessThan(0);
    expect(compareEventIds("$\uD7FF", "$\u{10000}")).toBeLessThan(0);
  });
});

/** chain* of every event of a state set, the spec's "full auth chain" walked naively. */
function naiveFullChain(room: RoomFixture, set: StateMap): Set<string> {
  const out = new Set<string>();
  const stack = [...set.values()];
  const byId = new Map(room.events.map((e) => [e.eventId, e]));
  const createId = room.events[0]!.eventId;
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    const ev = byId.get(id)!;
    stack.push(...ev.authEvents);
    if (room.version.roomIdFromCreateEvent && id !== createId) stack.push(createId);
  }
  return out;
}

function naiveExpected(room: RoomFixture, sets: StateMap[], withSubgraph: boolean): Set<string> {
  const { conflicted } = separateStateSets(sets);
  const cs = new Set<string>();
  for (const values of conflicted.values()) for (const v of values) if (v !== undefined) cs.add(v);
  const chains = sets.map((s) => naiveFullChain(room, s));
  const union = new Set(chains.flatMap((c) => [...c]));
  const out = new Set(cs);
  for (const id of union) if (!chains.every((c) => c.has(id))) out.add(id);
  if (withSubgraph) {
    const one = (id: string) => naiveFullChain(room, new Map([["x", id]]));
    const reachableFromCs = new Set([...cs].flatMap((c) => [...one(c)]));
    for (const e of room.events) {
      if (reachableFromCs.has(e.eventId) && [...one(e.eventId)].some((x) => cs.has(x))) out.add(e.eventId);
    }
  }
  return out;
}

/** A random auth DAG: CREATE then `n` state events in 6 slots, each citing 1–3 earlier events. */
function randomRoom(versionId: string, seed: number, n: number): { room: RoomFixture; sets: StateMap[] } {
  const random = rng(seed);
  const room = new RoomFixture(versionId);
  room.create(ALICE);
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `E${i}`;
    const auth = new Set<string>();
    const k = names.length === 0 ? 0 : 1 + Math.floor(random() * 3);
    for (let j = 0; j < k; j++) auth.add(names[Math.floor(random() * names.length)]!);
    room.add({ name, type: "m.test", stateKey: `k${Math.floor(random() * 6)}`, sender: ALICE, auth: [...auth] });
    names.push(name);
  }
  const bySlot = new Map<string, string[]>();
  for (const e of room.events.slice(1)) bySlot.set(e.stateKey!, [...(bySlot.get(e.stateKey!) ?? []), e.eventId]);
  const setCount = 2 + Math.floor(random() * 2);
  const shared = new Map<string, string | undefined>();
  for (const [slot, ids] of bySlot) shared.set(slot, ids[Math.floor(random() * ids.length)]);
  const sets: StateMap[] = [];
  for (let s = 0; s < setCount; s++) {
    const m = new Map<string, string>([[stateKey("m.room.create", ""), room.events[0]!.eventId]]);
    for (const [slot, ids] of bySlot) {
      const r = random();
      const id = r < 0.5 ? shared.get(slot) : r < 0.9 ? ids[Math.floor(random() * ids.length)] : undefined;
      if (id !== undefined) m.set(stateKey("m.test", slot), id);
    }
    sets.push(m);
  }
  return { room, sets };
}

describe("full conflicted set", () => {
  for (const [version, withSubgraph] of [["11", false], ["12", true]] as const) {
    it(`matches the spec's definitions computed naively, on random DAGs (room ${version}${withSubgraph ? ", with the conflicted subgraph" : ""})`, () => {
      for (let seed = 1; seed <= 60; seed++) {
        const { room, sets } = randomRoom(version, seed, 40);
        const expected = [...naiveExpected(room, sets, withSubgraph)].map(nameOf).sort();
        expect(fullConflictedNames(room, sets, withSubgraph), `seed ${seed}`).toEqual(expected);
        // Persist order only prunes the walk; any valid order gives the same set.
        expect(fullConflictedNames(room, sets, withSubgraph, seed * 7), `seed ${seed} shuffled`).toEqual(expected);
      }
    });
  }

  it("keeps unconflicted events out even when one side's conflicted events cite them", () => {
    const room = new RoomFixture("11");
    room.create(ALICE);
    room.add({ name: "MA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN });
    room.add({ name: "PL1", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [ALICE]: 100 } }, auth: ["MA"] });
    room.add({ name: "JR", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" }, auth: ["MA", "PL1"] });
    room.add({ name: "MB", type: "m.room.member", stateKey: BOB, sender: BOB, content: JOIN, auth: ["PL1", "JR"] });
    room.add({ name: "PL2", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [ALICE]: 100, [BOB]: 50 } }, auth: ["MA", "PL1"] });
    room.add({ name: "PL3", type: "m.room.power_levels", stateKey: "", sender: BOB, content: { users: { [ALICE]: 100, [BOB]: 50 } }, auth: ["MB", "PL2"] });
    const a = room.state("CREATE", "MA", "JR", "MB", "PL3");
    const b = room.state("CREATE", "MA", "JR", "MB", "PL1");
    const full = fullConflictedNames(room, [a, b], false);
    // PL2 is in PL3's chain only: auth difference. MB and JR are too, but are unconflicted.
    expect(full).toEqual(["PL1", "PL2", "PL3"]);
  });

  it("ancestorsInclusive walks auth edges and the implicit v12 create event", () => {
    const room = new RoomFixture("12");
    room.create(ALICE);
    room.add({ name: "A", type: "m.test", stateKey: "", sender: ALICE });
    room.add({ name: "B", type: "m.test", stateKey: "", sender: ALICE, auth: ["A"] });
    const graph = new EventGraph(room.version, room.provider());
    expect([...ancestorsInclusive(graph, [room.id("B")])].map(nameOf).sort()).toEqual(["A", "B", "CREATE"]);
  });
});

describe("step 1: power events, their conflicted ancestors, reverse topological power ordering", () => {
  /**
   * CREATE ← MA ← PL0 ← JR ← MB(bob join) ← KICK(alice kicks charlie, power event)
   * JR2 (join rules change) sits behind MB2, an event outside the full conflicted set.
   */
  function room(): RoomFixture {
    const r = new RoomFixture("11");
    r.create(ALICE);
    r.add({ name: "MA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN, ts: 1 });
    r.add({ name: "PL0", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [ALICE]: 100, [BOB]: 50 } }, auth: ["MA"], ts: 2 });
    r.add({ name: "JR", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" }, auth: ["MA", "PL0"], ts: 3 });
    r.add({ name: "MB", type: "m.room.member", stateKey: BOB, sender: BOB, content: JOIN, auth: ["PL0", "JR"], ts: 4 });
    r.add({ name: "MC", type: "m.room.member", stateKey: CHARLIE, sender: CHARLIE, content: JOIN, auth: ["PL0", "JR"], ts: 5 });
    // Bob (50) changes the join rules late (ts 90); Alice's kick (ts 10) cites Bob's later
    // membership MB2, which cites JR2: JR2 must still come first.
    r.add({ name: "JR2", type: "m.room.join_rules", stateKey: "", sender: BOB, content: { join_rule: "invite" }, auth: ["MB", "PL0"], ts: 90 });
    r.add({ name: "MB2", type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join", displayname: "b" }, auth: ["MB", "PL0", "JR2"], ts: 91 });
    r.add({ name: "KICK", type: "m.room.member", stateKey: CHARLIE, sender: ALICE, content: { membership: "leave" }, auth: ["MA", "PL0", "MC", "MB2"], ts: 10 });
    return r;
  }

  it("finds conflicted ancestors through events outside the full conflicted set", () => {
    const r = room();
    const graph = new EventGraph(r.version, r.provider());
    const full = new Set(["KICK", "JR2"].map((n) => r.id(n)));
    const ancestry = new ConflictedAncestry(graph, full);
    expect(ancestry.parentsOf(r.id("KICK")).map(nameOf)).toEqual(["JR2"]);
    expect(ancestry.parentsOf(r.id("JR2"))).toEqual([]);
  });

  it("orders ancestors first even when the power ordering alone would not", () => {
    const r = room();
    for (const seed of [undefined, 1, 2, 3]) {
      const graph = new EventGraph(r.version, r.provider(seed));
      const full = new Set(["KICK", "JR2", "MC"].map((n) => r.id(n)));
      // MC is in the full conflicted set and KICK's chain, so it joins step 1 too. KICK has the
      // most power (Alice, 100) but waits for both; JR2 (Bob, 50) precedes MC (Charlie, 0).
      expect(sortedPowerEvents(graph, full).map(nameOf)).toEqual(["JR2", "MC", "KICK"]);
    }
  });

  it("breaks ties by sender power (auth events' power levels), then timestamp, then event ID", () => {
    const r = new RoomFixture("11");
    r.create(ALICE);
    r.add({ name: "MA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN });
    r.add({ name: "PL", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [ALICE]: 100, [BOB]: 50 } }, auth: ["MA"] });
    const mk = (name: string, sender: string, ts: number) =>
      r.add({ name, type: "m.room.join_rules", stateKey: "", sender, content: { join_rule: "public" }, auth: ["PL"], ts });
    mk("Z1", BOB, 1); // power 50, earliest
    mk("Y2", ALICE, 5); // power 100
    mk("B3", CHARLIE, 3); // power 0
    mk("A3", CHARLIE, 3); // power 0, same ts: ID decides
    mk("X9", ALICE, 9); // power 100, later
    const graph = new EventGraph(r.version, r.provider());
    const full = new Set(["Z1", "Y2", "B3", "A3", "X9"].map((n) => r.id(n)));
    expect(sortedPowerEvents(graph, full).map(nameOf)).toEqual(["Y2", "X9", "Z1", "A3", "B3"]);
  });

  it("gives v12 creators infinite power in the ordering (no power-levels event needed)", () => {
    const r = new RoomFixture("12");
    r.create(ALICE);
    r.add({ name: "MA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN });
    r.add({ name: "PL", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [BOB]: 100 } }, auth: ["MA"] });
    r.add({ name: "JB", type: "m.room.join_rules", stateKey: "", sender: BOB, content: { join_rule: "invite" }, auth: ["PL"], ts: 1 });
    r.add({ name: "JA", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" }, auth: ["MA"], ts: 2 });
    const graph = new EventGraph(r.version, r.provider());
    expect(sortedPowerEvents(graph, new Set([r.id("JB"), r.id("JA")])).map(nameOf)).toEqual(["JA", "JB"]);
  });
});

describe("mainline ordering", () => {
  function room(): RoomFixture {
    const r = new RoomFixture("11");
    r.create(ALICE);
    r.add({ name: "MA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN });
    const pl = (name: string, auth: string[]) =>
      r.add({ name, type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [ALICE]: 100 } }, auth: ["MA", ...auth] });
    pl("P1", []);
    pl("P2", ["P1"]);
    pl("P3", ["P2"]);
    pl("Q3", ["P2"]); // a fork off the mainline
    pl("Q4", ["Q3"]);
    const topic = (name: string, auth: string[], ts: number) =>
      r.add({ name, type: "m.room.topic", stateKey: "", sender: ALICE, content: {}, auth: ["MA", ...auth], ts });
    topic("T_P3", ["P3"], 50);
    topic("T_P1", ["P1"], 60);
    topic("T_Q4", ["Q4"], 10); // walks Q4 → Q3 → P2: position of P2
    topic("T_P2", ["P2"], 5);
    topic("T_NONE", [], 99); // no power levels at all: position ∞, first
    topic("T_P3b", ["P3"], 50); // same position and ts as T_P3: event ID decides
    return r;
  }

  it("puts earlier mainline positions first, then timestamp, then event ID", () => {
    const r = room();
    const ids = ["T_P3", "T_P1", "T_Q4", "T_P2", "T_NONE", "T_P3b"].map((n) => r.id(n));
    for (const seed of [1, 2, 3]) {
      const graph = new EventGraph(r.version, r.provider(seed));
      const order = mainlineOrder(graph, shuffled(ids, rng(seed)), r.id("P3")).map(nameOf);
      expect(order).toEqual(["T_NONE", "T_P1", "T_P2", "T_Q4", "T_P3", "T_P3b"]);
    }
  });

  it("excludes the event itself from its own walk, and treats a missing resolved power level as an empty mainline", () => {
    const r = room();
    const graph = new EventGraph(r.version, r.provider());
    // P2's walk starts at P1 (position 2 from P3), P3's at P2 (position 1).
    expect(mainlineOrder(graph, [r.id("P3"), r.id("P2")], r.id("P3")).map(nameOf)).toEqual(["P2", "P3"]);
    // No power levels resolved: every position is ∞, so timestamps decide.
    expect(mainlineOrder(graph, [r.id("T_P3"), r.id("T_P2")], undefined).map(nameOf)).toEqual(["T_P2", "T_P3"]);
  });
});
