/**
 * Mainline ordering (rooms/fragments/v2-state-res.md "Mainline ordering"; "Algorithm" step 3).
 *
 * The mainline of P0 is P0, the power-levels event among its auth events P1, and so on. An
 * event e's mainline position is the index i of the first e_j (j ≥ 1, following power-levels
 * auth events from e, e itself excluded) that lies on the mainline, or ∞ when none does.
 * Ordering: greater position first, then origin_server_ts, then event ID.
 */
import { compareEventIds } from "./event-ids.js";
import type { EventGraph } from "./event-graph.js";

export function mainlineOrder(graph: EventGraph, eventIds: readonly string[], powerLevelsId: string | undefined): string[] {
  if (eventIds.length === 0) return [];

  // Position of a power-levels event found by walking from it (itself included).
  const position = new Map<string, number>();
  for (let p = powerLevelsId, i = 0; p !== undefined && !position.has(p); p = graph.powerLevelsParent(p), i++) {
    position.set(p, i);
  }

  const positionFrom = (start: string | undefined): number => {
    const walked: string[] = [];
    let pos = Infinity;
    for (let p = start; p !== undefined; p = graph.powerLevelsParent(p)) {
      const known = position.get(p);
      if (known !== undefined) {
        pos = known;
        break;
      }
      walked.push(p);
    }
    // Every event on the walk shares the answer: memoise so later walks stop early.
    for (const w of walked) position.set(w, pos);
    return pos;
  };

  const n = eventIds.length;
  const pos = new Float64Array(n);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const id = eventIds[i]!;
    pos[i] = positionFrom(graph.powerLevelsParent(id));
    ts[i] = graph.event(id)!.originServerTs;
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    if (pos[a] !== pos[b]) return pos[a]! > pos[b]! ? -1 : 1;
    if (ts[a] !== ts[b]) return ts[a]! - ts[b]!;
    return compareEventIds(eventIds[a]!, eventIds[b]!);
  });
  return order.map((i) => eventIds[i]!);
}
