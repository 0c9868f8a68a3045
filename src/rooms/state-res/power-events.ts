/**
 * Power events and the ordering of step 1 (rooms/fragments/v2-state-res.md "Power events",
 * "Reverse topological power ordering", "Algorithm" step 1).
 */
import type { RoomEvent } from "../../events/types.js";
import { userPowerLevel } from "../auth/power-levels.js";
import { compareEventIds } from "./event-ids.js";
import type { EventGraph } from "./event-graph.js";
import { MinHeap } from "./min-heap.js";

/**
 * "A state event with type m.room.power_levels or m.room.join_rules, or a state event with type
 * m.room.member where the membership is leave or ban and the sender does not match the
 * state_key." The spec names types only; Synapse and ruma additionally require an empty
 * state_key and count m.room.create, which only differs for junk slots and duplicate creates.
 */
export function isPowerEvent(ev: RoomEvent): boolean {
  if (ev.stateKey === undefined) return false;
  if (ev.type === "m.room.power_levels" || ev.type === "m.room.join_rules") return true;
  if (ev.type === "m.room.member") {
    const m = ev.content["membership"];
    return (m === "leave" || m === "ban") && ev.sender !== ev.stateKey;
  }
  return false;
}

/**
 * For events of the full conflicted set: the full-conflicted-set events reachable from them
 * over auth paths whose inner events lie outside the set. Closing the power events under this
 * relation yields "the events in the auth chain of P which also belong to the full conflicted
 * set", and it is the DAG the topological order must respect, even where the path between two
 * such events runs through events outside the set.
 */
export class ConflictedAncestry {
  /** For events outside the set: the nearest set members behind them. */
  private readonly nearest = new Map<string, readonly string[]>();

  constructor(
    private readonly graph: EventGraph,
    private readonly set: ReadonlySet<string>,
  ) {}

  parentsOf(id: string): readonly string[] {
    const out = new Set<string>();
    for (const p of this.graph.authParents(id)) {
      if (this.set.has(p)) out.add(p);
      else for (const q of this.nearestOf(p)) out.add(q);
    }
    return [...out];
  }

  private nearestOf(id: string): readonly string[] {
    const known = this.nearest.get(id);
    if (known) return known;
    // Collect the not-yet-computed outside events behind `id`, then fill them in ascending
    // authOrder so each one's auth events are done first (iterative: chains can be long).
    const todo: string[] = [];
    const seen = new Set<string>([id]);
    const stack = [id];
    while (stack.length > 0) {
      const x = stack.pop()!;
      todo.push(x);
      for (const p of this.graph.authParents(x)) {
        if (!this.set.has(p) && !this.nearest.has(p) && !seen.has(p)) {
          seen.add(p);
          stack.push(p);
        }
      }
    }
    todo.sort((a, b) => this.graph.authOrder(a) - this.graph.authOrder(b));
    for (const x of todo) {
      let acc: Set<string> | undefined;
      for (const p of this.graph.authParents(x)) {
        const found = this.set.has(p) ? [p] : this.nearest.get(p)!;
        for (const q of found) (acc ??= new Set()).add(q);
      }
      this.nearest.set(x, acc ? [...acc] : EMPTY);
    }
    return this.nearest.get(id)!;
  }
}

const EMPTY: readonly string[] = Object.freeze([]);

/**
 * Step 1: the power events of the full conflicted set plus the full-conflicted-set events in
 * their auth chains, in reverse topological power ordering (Kahn's algorithm, always taking
 * the smallest ready event: sender's power level descending, then origin_server_ts, then
 * event ID).
 */
export function sortedPowerEvents(graph: EventGraph, fullConflicted: ReadonlySet<string>): string[] {
  const ancestry = new ConflictedAncestry(graph, fullConflicted);

  const ids: string[] = [];
  const index = new Map<string, number>();
  const parents: (readonly string[])[] = [];
  const add = (id: string): void => {
    index.set(id, ids.length);
    ids.push(id);
  };
  for (const id of fullConflicted) {
    const ev = graph.event(id);
    if (ev && isPowerEvent(ev)) add(id);
  }
  for (let i = 0; i < ids.length; i++) {
    const ps = ancestry.parentsOf(ids[i]!);
    parents.push(ps);
    for (const p of ps) if (!index.has(p)) add(p);
  }

  const n = ids.length;
  const level = new Float64Array(n);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ev = graph.event(ids[i]!)!;
    // "when looking at their respective auth_events" (not the resolved state).
    level[i] = userPowerLevel(ev.sender, graph.authEventsLookup(ev.eventId, false), graph.version);
    ts[i] = ev.originServerTs;
  }
  const less = (a: number, b: number): boolean => {
    if (level[a] !== level[b]) return level[a]! > level[b]!;
    if (ts[a] !== ts[b]) return ts[a]! < ts[b]!;
    return compareEventIds(ids[a]!, ids[b]!) < 0;
  };

  const waitingOn = new Int32Array(n);
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    const ps = parents[i]!;
    waitingOn[i] = ps.length;
    for (const p of ps) children[index.get(p)!]!.push(i);
  }
  const ready = new MinHeap(less);
  for (let i = 0; i < n; i++) if (waitingOn[i] === 0) ready.push(i);
  const out: string[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    out.push(ids[i]!);
    for (const c of children[i]!) if (--waitingOn[c]! === 0) ready.push(c);
  }
  return out;
}
