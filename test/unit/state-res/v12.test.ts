/**
 * State resolution in room version 12 (rooms/v12.md "State resolution"): the conflicted state
 * subgraph, the first iterative pass starting from an empty state map, and creators' infinite
 * power (rooms/v12.md "Authorisation rules"), with the create event implied by the room ID.
 */
import { describe, expect, it } from "vitest";
import { type JsonObject, stateKey } from "../../../src/events/types.js";
import { resolveState } from "../../../src/rooms/state-res/resolve.js";
import type { StateMap } from "../../../src/rooms/state-res/types.js";
import {
  ALICE, BAN, BOB, CHARLIE, EVELYN, JOIN, JR_SLOT, LEAVE, type NodeSpec, PL_SLOT, RoomFixture, TOPIC_SLOT, ZARA,
  memberSlot, named, nameOf,
} from "./fixtures.js";
import { checkScenario, expectOrderIndependent, fullConflictedNames } from "./scenario-helpers.js";

function resolveStable(room: RoomFixture, sets: StateMap[]): Map<string, string> {
  const got = resolveState(room.version, sets, room.provider());
  expectOrderIndependent(room, sets, got);
  return got;
}

describe("v12: first iterative pass from an empty state map", () => {
  /**
   * Alice (creator) makes Bob an admin, opens the room (JR1), Bob joins, Alice makes it
   * invite-only (JR2) and leaves. A faulty fork cites the old join rules. From the unconflicted
   * state (v2), Alice's leave is in force when her join-rules events are re-checked, so both
   * fail and the join rules vanish; from an empty map (v12), her join at the time counts.
   */
  function build(versionId: string): { room: RoomFixture; correct: StateMap; faulty: StateMap } {
    const room = new RoomFixture(versionId);
    room.create(ALICE);
    const users: JsonObject = room.version.creatorsHaveInfinitePower ? { [BOB]: 100 } : { [ALICE]: 100, [BOB]: 100 };
    room.add({ name: "MA1", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN });
    room.add({ name: "POWER", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users }, auth: ["MA1"] });
    room.add({ name: "JR1", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" }, auth: ["MA1", "POWER"] });
    room.add({ name: "MB", type: "m.room.member", stateKey: BOB, sender: BOB, content: JOIN, auth: ["POWER", "JR1"] });
    room.add({ name: "JR2", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "invite" }, auth: ["MA1", "POWER"] });
    room.add({ name: "MA2", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: LEAVE, auth: ["POWER", "MA1"] });
    return {
      room,
      correct: room.state("CREATE", "MA2", "MB", "POWER", "JR2"),
      faulty: room.state("CREATE", "MA2", "MB", "POWER", "JR1"),
    };
  }

  it("keeps the newer join rules in v12", () => {
    const { room, correct, faulty } = build("12");
    const got = resolveStable(room, [correct, faulty]);
    expect(named(got)).toEqual(named(correct));
  });

  it("loses the join rules under plain v2 (room v11), which is what v12 fixes", () => {
    const { room, correct, faulty } = build("11");
    const got = resolveStable(room, [correct, faulty]);
    expect(got.has(JR_SLOT)).toBe(false);
    expect(nameOf(got.get(PL_SLOT)!)).toBe("POWER");
  });
});

describe("v12: conflicted state subgraph", () => {
  /**
   * Eve joins citing POWER3, then renames herself citing the old POWER1 (a dodgy but valid
   * event). A fork's state after her rename holds POWER1; Zara's join on the other fork holds
   * POWER3. The events between them (POWER2, Bob's join, Eve's first join) are on auth paths
   * between conflicted events and must be replayed.
   */
  function build(): { room: RoomFixture; dodgy: StateMap; sensible: StateMap } {
    const room = new RoomFixture("12");
    room.create(ALICE);
    const add = (name: string, type: string, sk: string, sender: string, content: JsonObject, auth: string[]) =>
      room.add({ name, type, stateKey: sk, sender, content, auth });
    add("MA", "m.room.member", ALICE, ALICE, JOIN, []);
    add("POWER1", "m.room.power_levels", "", ALICE, { users: {} }, ["MA"]);
    add("JR", "m.room.join_rules", "", ALICE, { join_rule: "public" }, ["MA", "POWER1"]);
    add("MB", "m.room.member", BOB, BOB, JOIN, ["POWER1", "JR"]);
    add("MC", "m.room.member", CHARLIE, CHARLIE, JOIN, ["POWER1", "JR"]);
    add("POWER2", "m.room.power_levels", "", ALICE, { users: { [BOB]: 50 } }, ["MA", "POWER1"]);
    add("POWER3", "m.room.power_levels", "", BOB, { users: { [BOB]: 50, [CHARLIE]: 50 } }, ["MB", "POWER2"]);
    add("ME1", "m.room.member", EVELYN, EVELYN, JOIN, ["POWER3", "JR"]);
    add("ME2", "m.room.member", EVELYN, EVELYN, { membership: "join", displayname: "eve" }, ["POWER1", "JR", "ME1"]);
    add("MZ", "m.room.member", ZARA, ZARA, JOIN, ["POWER3", "JR"]);
    return {
      room,
      dodgy: room.state("CREATE", "MA", "MB", "MC", "ME2", "POWER1", "JR"),
      sensible: room.state("CREATE", "MA", "MB", "MC", "MZ", "POWER3", "JR"),
    };
  }

  it("adds the events on auth paths between conflicted events to the full conflicted set", () => {
    const { room, dodgy, sensible } = build();
    // Conflicted: ME2, POWER1, POWER3, MZ. Auth difference: ME1 (only the dodgy side's chain
    // holds it, and no unconflicted event cites it). Subgraph: POWER2, MB and JR sit on the
    // paths POWER3 → POWER2 → POWER1 and POWER3 → MB → JR → POWER1; ME1 on ME2 → ME1 → POWER3.
    expect(fullConflictedNames(room, [dodgy, sensible], true)).toEqual(["JR", "MB", "ME1", "ME2", "MZ", "POWER1", "POWER2", "POWER3"]);
    expect(fullConflictedNames(room, [dodgy, sensible], false)).toEqual(["ME1", "ME2", "MZ", "POWER1", "POWER3"]);
    // The create event is never in it (it is in every chain and on no path between conflicts).
    expect(fullConflictedNames(room, [dodgy, sensible], true)).not.toContain("CREATE");
  });

  it("replays them: POWER3 survives, Eve's rename (POWER1 epoch) is replayed before her join (POWER3 epoch)", () => {
    const { room, dodgy, sensible } = build();
    const got = resolveStable(room, [dodgy, sensible]);
    expect(named(got)).toEqual(
      named(room.state("CREATE", "MA", "MB", "MC", "ME1", "MZ", "POWER3", "JR")),
    );
  });
});

describe("v12: creators", () => {
  function base(extraCreate: JsonObject = {}): RoomFixture {
    const room = new RoomFixture("12");
    room.create(ALICE, extraCreate);
    room.add({ name: "MA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN });
    room.add({ name: "P0", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [BOB]: 100 } }, auth: ["MA"] });
    room.add({ name: "JR", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" }, auth: ["MA", "P0"] });
    room.add({ name: "MB", type: "m.room.member", stateKey: BOB, sender: BOB, content: JOIN, auth: ["P0", "JR"] });
    room.add({ name: "MC", type: "m.room.member", stateKey: CHARLIE, sender: CHARLIE, content: JOIN, auth: ["P0", "JR"] });
    return room;
  }
  const common = ["CREATE", "MA", "P0", "JR", "MB", "MC"];

  it("a creator cannot be demoted: an admin's power levels naming the creator fail, the creator's topic stands", () => {
    const room = base();
    room.add({ name: "PB", type: "m.room.power_levels", stateKey: "", sender: BOB, content: { users: { [ALICE]: 0, [BOB]: 100 } }, auth: ["MB", "P0"] });
    room.add({ name: "TA", type: "m.room.topic", stateKey: "", sender: ALICE, content: { topic: "t" }, auth: ["MA", "P0"] });
    const sets = [room.state(...common.filter((n) => n !== "P0"), "PB"), room.state(...common, "TA")];
    const got = resolveStable(room, sets);
    expect(nameOf(got.get(PL_SLOT)!)).toBe("P0");
    expect(nameOf(got.get(TOPIC_SLOT)!)).toBe("TA");
  });

  it("a creator cannot be banned by an admin at level 100", () => {
    const room = base();
    room.add({ name: "KA", type: "m.room.member", stateKey: ALICE, sender: BOB, content: BAN, auth: ["MB", "P0", "MA"] });
    room.add({ name: "TA", type: "m.room.topic", stateKey: "", sender: ALICE, content: { topic: "t" }, auth: ["MA", "P0"] });
    const got = resolveStable(room, [room.state(...common.filter((n) => n !== "MA"), "KA"), room.state(...common, "TA")]);
    expect(nameOf(got.get(memberSlot(ALICE))!)).toBe("MA");
    expect(nameOf(got.get(TOPIC_SLOT)!)).toBe("TA");
  });

  it("a creator's power event sorts before an admin's earlier one: Alice demotes Bob before his join-rules change", () => {
    const room = base();
    // Bob's change is sent first (ts 1). Sorted by power, Alice (∞) goes first, Bob (100) is
    // then at 0 and his change fails.
    room.add({ name: "JB", type: "m.room.join_rules", stateKey: "", sender: BOB, content: { join_rule: "invite" }, auth: ["MB", "P0"], ts: 1000 });
    room.add({ name: "PA", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [BOB]: 0 } }, auth: ["MA", "P0"], ts: 2000 });
    const got = resolveStable(room, [room.state(...common.filter((n) => n !== "JR"), "JB"), room.state(...common.filter((n) => n !== "P0"), "PA")]);
    expect(nameOf(got.get(PL_SLOT)!)).toBe("PA");
    expect(nameOf(got.get(JR_SLOT)!)).toBe("JR");
  });

  it("additional creators get the same infinite power", () => {
    const room = base({ additional_creators: [CHARLIE] });
    room.add({ name: "KB", type: "m.room.member", stateKey: BOB, sender: CHARLIE, content: LEAVE, auth: ["MC", "P0", "MB"], ts: 2000 });
    room.add({ name: "KC", type: "m.room.member", stateKey: CHARLIE, sender: BOB, content: LEAVE, auth: ["MB", "P0", "MC"], ts: 1000 });
    const sets = [room.state(...common.filter((n) => n !== "MB"), "KB"), room.state(...common.filter((n) => n !== "MC"), "KC")];
    const got = resolveStable(room, sets);
    expect(nameOf(got.get(memberSlot(BOB))!)).toBe("KB");
    expect(nameOf(got.get(memberSlot(CHARLIE))!)).toBe("MC");
  });
});

describe("v12: whole-graph scenarios", () => {
  const pl = (name: string, sender: string, users: Record<string, number>): NodeSpec => ({
    name, type: "m.room.power_levels", stateKey: "", sender, content: { users },
  });
  const topic = (name: string, sender: string): NodeSpec => ({ name, type: "m.room.topic", stateKey: "", sender, content: {} });

  it("ban vs power levels", () => {
    checkScenario(
      "12",
      [
        pl("PA", ALICE, { [BOB]: 50 }),
        { name: "MA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN },
        { name: "MB", type: "m.room.member", stateKey: BOB, sender: ALICE, content: BAN },
        pl("PB", BOB, { [BOB]: 50 }),
      ],
      [["END", "MB", "MA", "PA", "START"], ["END", "PB", "PA"]],
      ["PA", "MA", "MB"],
    );
  });

  it("power-level demotion racing a topic change", () => {
    checkScenario(
      "12",
      [
        topic("T1", ALICE),
        pl("PA1", ALICE, { [BOB]: 50 }),
        topic("T2", ALICE),
        pl("PA2", ALICE, { [BOB]: 0 }),
        pl("PB", BOB, { [BOB]: 50 }),
        topic("T3", BOB),
      ],
      [["END", "PA2", "T2", "PA1", "T1", "START"], ["END", "T3", "PB", "PA1"]],
      ["PA2", "T2"],
    );
  });

  it("join-rule change racing a join", () => {
    checkScenario(
      "12",
      [
        { name: "JR", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "invite" } },
        { name: "ME", type: "m.room.member", stateKey: EVELYN, sender: EVELYN, content: JOIN },
      ],
      [["END", "JR", "START"], ["END", "ME", "START"]],
      ["JR"],
    );
  });

  it("events never list the create event, yet every check finds it through the room ID", () => {
    const sim = checkScenario("12", [topic("T1", ALICE), topic("T2", ALICE)], [["END", "T1", "START"], ["END", "T2", "START"]], ["T2"]);
    for (const ev of sim.room.events) expect(ev.authEvents).not.toContain(sim.room.id("CREATE"));
    expect(sim.stateAfter.get("END")!.get(stateKey("m.room.create", ""))).toBe(sim.room.id("CREATE"));
  });
});
