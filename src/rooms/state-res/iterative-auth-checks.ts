/**
 * Iterative auth checks (rooms/fragments/v2-state-res.md "Iterative auth checks"): apply a
 * sorted list of state events to a room state one by one, each only if the authorisation
 * rules allow it against the state built so far.
 *
 * The state an event is checked against: for each slot the rules need (the event's auth
 * types, server-server-api.md "Auth events selection"), the event in the partial state; for a
 * slot the partial state lacks, the event's own auth event for that slot unless that auth
 * event was rejected ("Rejected auth events are deliberately excluded from use in the
 * iterative auth checks"). Events themselves are re-checked whether or not they were rejected
 * earlier ("Rejected events": handled as usual). Events that fail are skipped, not removed.
 */
import type { StateKey } from "../../events/types.js";
import { stateKey } from "../../events/types.js";
import { authEventTypes } from "../auth/auth-events-selection.js";
import { checkAuthRules } from "../auth/check-auth.js";
import type { AuthStateLookup } from "../auth/types.js";
import type { EventGraph } from "./event-graph.js";
import type { UnconflictedState } from "./types.js";

/** The partially resolved state: an optional base (the unconflicted state) plus changes. */
export class PartialState {
  private readonly changes = new Map<StateKey, string>();

  constructor(private readonly base: UnconflictedState | undefined) {}

  get(key: StateKey): string | undefined {
    return this.changes.get(key) ?? this.base?.get(key);
  }

  set(key: StateKey, eventId: string): void {
    this.changes.set(key, eventId);
  }

  /** Every slot set since construction (whether or not the base held it). */
  changed(): ReadonlyMap<StateKey, string> {
    return this.changes;
  }
}

export function iterativeAuthChecks(graph: EventGraph, eventIds: readonly string[], state: PartialState): void {
  for (const id of eventIds) {
    const ev = graph.event(id);
    if (!ev || ev.stateKey === undefined) continue;

    const authSlots = new Set<StateKey>();
    for (const t of authEventTypes(ev, graph.version)) authSlots.add(stateKey(t.type, t.stateKey));
    let own: AuthStateLookup | undefined;
    const lookup: AuthStateLookup = {
      get(type, sk) {
        const slot = stateKey(type, sk);
        if (authSlots.has(slot)) {
          const current = state.get(slot);
          const cur = current !== undefined ? graph.event(current) : undefined;
          if (cur) return cur;
        }
        own ??= graph.authEventsLookup(id, true);
        return own.get(type, sk);
      },
    };

    if (checkAuthRules(ev, lookup, graph.version).allowed) state.set(stateKey(ev.type, ev.stateKey), id);
  }
}
