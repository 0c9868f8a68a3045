/**
 * State resolution entry points (server-server-api.md "Room State Resolution"); the room
 * version's `stateRes` picks the algorithm (resolve-v1.ts, resolve-v2.ts).
 *
 * Both entry points run one implementation: `resolveState` splits whole state maps into the
 * unconflicted state and the conflicted slots and calls `resolveConflicted`, which is what the
 * storage-backed caller calls directly with slots it found by diffing persistent maps.
 */
import type { RoomVersion } from "../../events/room-versions.js";
import type { StateKey } from "../../events/types.js";
import { EventGraph } from "./event-graph.js";
import { resolveV1 } from "./resolve-v1.js";
import { resolveV2 } from "./resolve-v2.js";
import type { ConflictedStateInput, StateMap, StateResProvider, UnconflictedState } from "./types.js";

/**
 * Resolves the conflicted slots. Returns the resolved event of every slot whose value differs
 * from the unconflicted state: the resolved state is the unconflicted state plus these entries,
 * and a conflicted slot missing from the result is empty in the resolved state. (The result may
 * also name slots that were in no state set: events of the auth difference that pass the
 * iterative auth checks in a slot nobody held.)
 */
export function resolveConflicted(
  version: RoomVersion,
  input: ConflictedStateInput,
  provider: StateResProvider,
): Map<StateKey, string> {
  assertConflicted(input);
  if (input.conflicted.size === 0) return new Map();
  const graph = new EventGraph(version, provider);
  switch (version.stateRes) {
    case "v1":
      return resolveV1(graph, input);
    case "v2":
    case "v2.1":
      return resolveV2(graph, input);
  }
}

/** Resolves whole state maps into one (`S(E)` from the states after E's prev_events). */
export function resolveState(
  version: RoomVersion,
  stateSets: readonly StateMap[],
  provider: StateResProvider,
): Map<StateKey, string> {
  if (stateSets.length === 0) return new Map();
  if (stateSets.length === 1) return new Map(stateSets[0]);
  const { unconflicted, conflicted } = separateStateSets(stateSets);
  const resolved = resolveConflicted(version, { conflicted, unconflicted: unconflictedView(unconflicted) }, provider);
  const out = new Map(unconflicted);
  for (const [slot, id] of resolved) out.set(slot, id);
  return out;
}

/**
 * rooms/fragments/v2-state-res.md "Unconflicted state map and conflicted state set": a slot
 * every set holds with the same event is unconflicted; any other slot (including one some sets
 * lack) is conflicted, with each set's event by position.
 */
export function separateStateSets(stateSets: readonly StateMap[]): {
  unconflicted: Map<StateKey, string>;
  conflicted: Map<StateKey, (string | undefined)[]>;
} {
  const unconflicted = new Map<StateKey, string>();
  const conflicted = new Map<StateKey, (string | undefined)[]>();
  const [first, ...others] = stateSets;
  if (!first) return { unconflicted, conflicted };
  const valuesAt = (slot: StateKey) => stateSets.map((s) => s.get(slot));
  // Allocate only for conflicted slots: with 10k members nearly every slot agrees.
  for (const [slot, id] of first) {
    if (others.every((s) => s.get(slot) === id)) unconflicted.set(slot, id);
    else conflicted.set(slot, valuesAt(slot));
  }
  // A slot the first set lacks is conflicted wherever another set has it.
  for (const set of others) {
    for (const slot of set.keys()) if (!first.has(slot) && !conflicted.has(slot)) conflicted.set(slot, valuesAt(slot));
  }
  return { unconflicted, conflicted };
}

/** An in-memory unconflicted state map as `UnconflictedState`. */
export function unconflictedView(map: ReadonlyMap<StateKey, string>): UnconflictedState {
  return { get: (slot) => map.get(slot), eventIds: () => map.values() };
}

function assertConflicted(input: ConflictedStateInput): void {
  let length: number | undefined;
  for (const [slot, values] of input.conflicted) {
    length ??= values.length;
    if (values.length !== length || length < 2) {
      throw new TypeError(`state resolution: slot ${JSON.stringify(slot)} has ${values.length} values, expected ${length} (≥ 2)`);
    }
    const first = values[0];
    if (first !== undefined && values.every((v) => v === first)) {
      throw new TypeError(`state resolution: slot ${JSON.stringify(slot)} is not conflicted`);
    }
  }
}
