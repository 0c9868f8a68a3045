/** Assertions shared by the scenario tests. */
import { expect } from "vitest";
import { type StateKey, stateKey } from "../../../src/events/types.js";
import { EventGraph } from "../../../src/rooms/state-res/event-graph.js";
import { conflictedEvents, fullConflictedSet } from "../../../src/rooms/state-res/full-conflicted-set.js";
import { resolveState, separateStateSets, unconflictedView } from "../../../src/rooms/state-res/resolve.js";
import type { StateMap } from "../../../src/rooms/state-res/types.js";
import { type NodeSpec, type RoomFixture, type Simulation, named, nameOf, rng, shuffled, simulate } from "./fixtures.js";

/**
 * Simulates the graph and checks the state at END: the slots of `expected` hold those events,
 * and every other slot is as it was at START. Then re-resolves END's prev states in shuffled
 * orders with shuffled persist orders and expects the same answer.
 */
export function checkScenario(versionId: string, nodes: NodeSpec[], edges: string[][], expected: string[]): Simulation {
  const sim = simulate(versionId, nodes, edges);
  const start = sim.stateAfter.get("START")!;
  const end = sim.stateAfter.get("END")!;
  const want = new Map<StateKey, string>();
  for (const name of expected) {
    const ev = sim.room.ev(name);
    want.set(stateKey(ev.type, ev.stateKey!), ev.eventId);
  }
  const changed = new Map([...end].filter(([slot, id]) => want.has(slot) || start.get(slot) !== id));
  for (const slot of start.keys()) if (!end.has(slot)) changed.set(slot, "(gone)");
  expect(named(changed)).toEqual(named(want));
  expectOrderIndependent(sim.room, sim.prevs.get("END")!.map((p) => sim.stateAfter.get(p)!), end);
  return sim;
}

/** Resolving `sets` gives `expected` whatever the order of the sets and the persist order. */
export function expectOrderIndependent(room: RoomFixture, sets: StateMap[], expected: StateMap, seeds = 8): void {
  for (let seed = 1; seed <= seeds; seed++) {
    const got = resolveState(room.version, shuffled(sets, rng(seed)), room.provider(seed));
    expect(named(got), `seed ${seed}`).toEqual(named(expected));
  }
}

/** The full conflicted set of `sets` by fixture name, sorted; `seed` shuffles persist order. */
export function fullConflictedNames(room: RoomFixture, sets: StateMap[], withSubgraph: boolean, seed?: number): string[] {
  const graph = new EventGraph(room.version, room.provider(seed));
  const { unconflicted, conflicted } = separateStateSets(sets);
  const full = fullConflictedSet(graph, {
    ...conflictedEvents(graph, conflicted),
    unconflicted: unconflictedView(unconflicted),
    withSubgraph,
  });
  return [...full].map(nameOf).sort();
}
