/**
 * The full conflicted set (rooms/fragments/v2-state-res.md "Definitions"; rooms/v12.md adds
 * the conflicted state subgraph):
 *
 *   full conflicted set = conflicted state set ∪ auth difference [∪ conflicted subgraph, v12]
 *
 * Auth difference without walking 10k auth chains. Every state set S_i is U ∪ C_i, where U is
 * the unconflicted state (the same events in every set) and C_i the set's conflicted events.
 * Writing chain*(X) for X plus the auth chains of X, the full auth chain of S_i is
 * chain*(U) ∪ chain*(C_i), so
 *
 *   ∪_i A_i − ∩_i A_i  =  ∪_i chain*(C_i) − ∩_i chain*(C_i) − chain*(U).
 *
 * The first two terms only walk back from the (few) conflicted events. Membership in chain*(U)
 * is tested by walking back from U only through events whose authOrder is at least the
 * smallest authOrder among the candidates: auth edges strictly decrease authOrder, so no path
 * from U to a candidate leaves that range, and the walk skips the old bulk of the room.
 *
 * A state set's own events count as part of its full auth chain (chain*, not chain). This only
 * matters for unconflicted events, which would otherwise enter the auth difference whenever
 * one set's conflicted events cite them; the conflicted events are in the full conflicted set
 * either way. Synapse's auth-chain index counts the events themselves the same way.
 */
import type { EventGraph } from "./event-graph.js";
import type { ConflictedStateInput, UnconflictedState } from "./types.js";

export interface FullConflictedSetInput {
  /** The distinct conflicted event IDs of each state set (C_i), held events only. */
  readonly perSet: readonly (readonly string[])[];
  /** The conflicted state set: the union of `perSet`. */
  readonly conflicted: ReadonlySet<string>;
  readonly unconflicted: UnconflictedState;
  /** v12 (state res v2.1): include the conflicted state subgraph. */
  readonly withSubgraph: boolean;
}

/** The conflicted state set and each state set's part of it (C_i), held events only. */
export function conflictedEvents(
  graph: EventGraph,
  slots: ConflictedStateInput["conflicted"],
): { perSet: string[][]; conflicted: Set<string> } {
  let setCount = 0;
  for (const values of slots.values()) setCount = Math.max(setCount, values.length);
  const perSet = Array.from({ length: setCount }, () => new Set<string>());
  const conflicted = new Set<string>();
  for (const values of slots.values()) {
    values.forEach((id, i) => {
      if (id !== undefined && graph.has(id)) {
        perSet[i]!.add(id);
        conflicted.add(id);
      }
    });
  }
  return { perSet: perSet.map((s) => [...s]), conflicted };
}

export function fullConflictedSet(graph: EventGraph, input: FullConflictedSetInput): Set<string> {
  const k = input.perSet.length;
  // How many of the chain*(C_i) hold each event; the keys are chain*(conflicted state set).
  const seenIn = new Map<string, number>();
  for (const starts of input.perSet) {
    for (const id of ancestorsInclusive(graph, starts)) seenIn.set(id, (seenIn.get(id) ?? 0) + 1);
  }

  const candidates = new Set<string>();
  for (const [id, n] of seenIn) if (n < k) candidates.add(id);
  dropReachableFromUnconflicted(graph, candidates, input.unconflicted);

  const full = new Set<string>(input.conflicted);
  for (const id of candidates) full.add(id);
  if (input.withSubgraph) {
    for (const id of conflictedSubgraph(graph, seenIn.keys(), input.conflicted)) full.add(id);
  }
  return full;
}

/** chain*(starts): the events and everything reachable over auth edges. */
export function ancestorsInclusive(graph: EventGraph, starts: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack: string[] = [];
  for (const s of starts) {
    if (!seen.has(s) && graph.has(s)) {
      seen.add(s);
      stack.push(s);
    }
  }
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const p of graph.authParents(id)) {
      if (!seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  return seen;
}

/** Removes from `candidates` every event in chain*(unconflicted state). */
function dropReachableFromUnconflicted(
  graph: EventGraph,
  candidates: Set<string>,
  unconflicted: UnconflictedState,
): void {
  if (candidates.size === 0) return;
  let floor = Infinity;
  for (const id of candidates) floor = Math.min(floor, graph.authOrder(id));

  const seen = new Set<string>();
  const stack: string[] = [];
  const starts = unconflicted.eventIdsWithAuthOrderAtLeast?.(floor) ?? unconflicted.eventIds();
  for (const id of starts) {
    if (!seen.has(id) && graph.authOrderOnce(id) >= floor && graph.has(id)) {
      seen.add(id);
      stack.push(id);
    }
  }
  while (stack.length > 0 && candidates.size > 0) {
    const id = stack.pop()!;
    candidates.delete(id);
    for (const p of graph.authParents(id)) {
      if (!seen.has(p) && graph.authOrder(p) >= floor) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
}

/**
 * rooms/v12.md "Conflicted state subgraph": every event on an auth path between two events
 * of the conflicted state set, endpoints included. An event is on such a path exactly when it
 * is in chain*(conflicted set) (some conflicted event reaches it) and it reaches a conflicted
 * event itself. `ancestors` is chain*(conflicted set); it is closed under auth edges, so
 * visiting it in ascending authOrder sees every event's auth events before the event.
 */
export function conflictedSubgraph(
  graph: EventGraph,
  ancestors: Iterable<string>,
  conflicted: ReadonlySet<string>,
): Set<string> {
  const order = [...ancestors];
  const rank = new Map<string, number>();
  for (const id of order) rank.set(id, graph.authOrder(id));
  order.sort((a, b) => rank.get(a)! - rank.get(b)!);

  const reaches = new Set<string>();
  for (const id of order) {
    if (conflicted.has(id)) {
      reaches.add(id);
      continue;
    }
    for (const p of graph.authParents(id)) {
      if (reaches.has(p)) {
        reaches.add(id);
        break;
      }
    }
  }
  return reaches;
}
