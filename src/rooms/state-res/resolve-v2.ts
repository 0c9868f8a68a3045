/**
 * State resolution v2 (rooms v2–v11) and v2.1 (room v12): rooms/fragments/v2-state-res.md
 * "Algorithm", with the v12 changes of rooms/v12.md "State resolution":
 *
 * 1. The power events of the full conflicted set, plus the full-conflicted-set events in
 *    their auth chains, in reverse topological power ordering.
 * 2. Iterative auth checks over them, starting from the unconflicted state map (v2) or from
 *    an empty state map (v2.1).
 * 3. The remaining full-conflicted-set events in mainline ordering based on the power levels
 *    of the partial state from step 2.
 * 4. Iterative auth checks over those, continuing from the partial state.
 * 5. The unconflicted state map overrides the result.
 *
 * v2.1 also adds the conflicted state subgraph to the full conflicted set (full-conflicted-set.ts).
 */
import { type StateKey, stateKey } from "../../events/types.js";
import { logger } from "../../log.js";
import type { EventGraph } from "./event-graph.js";
import { conflictedEvents, fullConflictedSet } from "./full-conflicted-set.js";
import { PartialState, iterativeAuthChecks } from "./iterative-auth-checks.js";
import { mainlineOrder } from "./mainline.js";
import { sortedPowerEvents } from "./power-events.js";
import type { ConflictedStateInput } from "./types.js";

const log = logger("rooms.state-res");
const POWER_LEVELS_SLOT = stateKey("m.room.power_levels", "");

/** The resolved value of every slot that differs from the unconflicted state (see resolve.ts). */
export function resolveV2(graph: EventGraph, input: ConflictedStateInput): Map<StateKey, string> {
  // v2.1 (room v12): conflicted subgraph in the full conflicted set, step 2 from an empty map.
  const v21 = graph.version.stateRes === "v2.1";

  const { perSet, conflicted } = conflictedEvents(graph, input.conflicted);
  const full = fullConflictedSet(graph, { perSet, conflicted, unconflicted: input.unconflicted, withSubgraph: v21 });

  // Steps 1–2.
  const powerSorted = sortedPowerEvents(graph, full);
  const state = new PartialState(v21 ? undefined : input.unconflicted);
  iterativeAuthChecks(graph, powerSorted, state);

  // Steps 3–4.
  const picked = new Set(powerSorted);
  const rest: string[] = [];
  for (const id of full) if (!picked.has(id)) rest.push(id);
  iterativeAuthChecks(graph, mainlineOrder(graph, rest, state.get(POWER_LEVELS_SLOT)), state);

  // Step 5: the unconflicted state wins, so only slots outside it are returned.
  const out = new Map<StateKey, string>();
  for (const [slot, id] of state.changed()) {
    if (input.unconflicted.get(slot) === undefined) out.set(slot, id);
  }
  log.debug(
    { conflicted: conflicted.size, full_conflicted: full.size, power_events: powerSorted.length },
    "resolved state (v2)",
  );
  return out;
}

