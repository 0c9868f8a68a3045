/**
 * State resolution v1 (room version 1 only): rooms/v1.md "State resolution". Known to reset
 * state; kept exactly as specified because v1 rooms still exist.
 *
 * R starts as the union of the states without the conflicting slots. A conflict is two state
 * sets holding different events in one slot; a slot some sets lack and the others agree on is
 * not a conflict (unlike v2, where absence is a value). Then, in passes:
 *
 * - m.room.power_levels, then each m.room.join_rules slot, then each m.room.member slot:
 *   sort the slot's events by ascending depth, then descending sha1(event_id); take the first
 *   into R; take each next one while it passes the auth rules against R; stop at the first
 *   that fails.
 * - every other slot: the event with the highest depth, then lowest sha1(event_id), that
 *   passes the auth rules against R.
 *
 * Within one pass every slot is resolved against R as it stood when the pass began, so the
 * result does not depend on the order slots are visited in (the spec names none); Synapse, the
 * reference v1 implementation, does the same. When no event of an "other" slot passes, the
 * spec says nothing; we take the last in order (lowest depth) as Synapse does.
 */
import { createHash } from "node:crypto";
import type { RoomEvent, StateKey } from "../../events/types.js";
import { splitStateKey, stateKey } from "../../events/types.js";
import { checkAuthRules } from "../auth/check-auth.js";
import type { AuthStateLookup } from "../auth/types.js";
import type { EventGraph } from "./event-graph.js";
import type { ConflictedStateInput } from "./types.js";

const POWER_LEVELS_SLOT = stateKey("m.room.power_levels", "");

export function resolveV1(graph: EventGraph, input: ConflictedStateInput): Map<StateKey, string> {
  /** Slots resolved so far; together with the unconflicted state this is R. */
  const resolved = new Map<StateKey, string>();
  const conflicts = new Map<StateKey, RoomEvent[]>();
  for (const [slot, values] of input.conflicted) {
    const events: RoomEvent[] = [];
    for (const id of new Set(values)) {
      const ev = id === undefined ? undefined : graph.event(id);
      if (ev) events.push(ev);
    }
    if (events.length === 1) resolved.set(slot, events[0]!.eventId);
    else if (events.length > 1) conflicts.set(slot, events);
  }

  const pass = (slots: StateKey[], pick: (events: RoomEvent[], r: AuthStateLookup) => RoomEvent | undefined): void => {
    const r = snapshotR(graph, input, resolved);
    const picked: [StateKey, string][] = [];
    for (const slot of slots) {
      const winner = pick(conflicts.get(slot)!, r);
      if (winner) picked.push([slot, winner.eventId]);
      conflicts.delete(slot);
    }
    for (const [slot, id] of picked) resolved.set(slot, id);
  };
  const slotsOfType = (type: string): StateKey[] =>
    [...conflicts.keys()].filter((slot) => splitStateKey(slot).type === type);

  if (conflicts.has(POWER_LEVELS_SLOT)) pass([POWER_LEVELS_SLOT], (evs, r) => resolveAuthSlot(graph, evs, r));
  pass(slotsOfType("m.room.join_rules"), (evs, r) => resolveAuthSlot(graph, evs, r));
  pass(slotsOfType("m.room.member"), (evs, r) => resolveAuthSlot(graph, evs, r));
  pass([...conflicts.keys()], (evs, r) => resolveOtherSlot(graph, evs, r));
  return resolved;
}

/** R as it stands now: the unconflicted state overlaid with the slots resolved so far. */
function snapshotR(graph: EventGraph, input: ConflictedStateInput, resolved: ReadonlyMap<StateKey, string>): AuthStateLookup {
  const frozen = new Map(resolved);
  return {
    get(type, sk) {
      const slot = stateKey(type, sk);
      const id = frozen.get(slot) ?? input.unconflicted.get(slot);
      return id === undefined ? undefined : graph.event(id);
    },
  };
}

function resolveAuthSlot(graph: EventGraph, events: RoomEvent[], r: AuthStateLookup): RoomEvent {
  const ordered = sortByDepthAndHash(events); // ascending depth, descending sha1
  let current = ordered[0]!;
  for (let i = 1; i < ordered.length; i++) {
    const next = ordered[i]!;
    const prev = current;
    const withCurrent: AuthStateLookup = {
      get: (type, sk) => (type === prev.type && sk === prev.stateKey ? prev : r.get(type, sk)),
    };
    if (!checkAuthRules(next, withCurrent, graph.version).allowed) break;
    current = next;
  }
  return current;
}

function resolveOtherSlot(graph: EventGraph, events: RoomEvent[], r: AuthStateLookup): RoomEvent | undefined {
  const ordered = sortByDepthAndHash(events).reverse(); // descending depth, ascending sha1
  for (const ev of ordered) if (checkAuthRules(ev, r, graph.version).allowed) return ev;
  return ordered[ordered.length - 1];
}

function sortByDepthAndHash(events: RoomEvent[]): RoomEvent[] {
  const keyed = events.map((ev) => ({ ev, hash: sha1Hex(ev.eventId) }));
  keyed.sort((a, b) => a.ev.depth - b.ev.depth || (a.hash < b.hash ? 1 : a.hash > b.hash ? -1 : 0));
  return keyed.map((k) => k.ev);
}

function sha1Hex(s: string): string {
  return createHash("sha1").update(s, "utf8").digest("hex");
}
