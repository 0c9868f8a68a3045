/**
 * The auth-event graph as one resolution sees it: events, auth edges and persist order read
 * through the provider once and memoised for the duration of that resolution (a resolution
 * touches the same few hundred auth events many times; LMDB reads and msgpack decoding are
 * cheap but not free).
 *
 * Auth edges always point at events with a smaller `authOrder`, so "sorted by authOrder" is
 * a topological order of any set of events, and a walk back from an event can stop below a
 * given authOrder without missing anything above it.
 */
import { createEventIdOfRoom } from "../../events/ids.js";
import type { RoomVersion } from "../../events/room-versions.js";
import { type RoomEvent, type StateKey, stateKey } from "../../events/types.js";
import type { AuthStateLookup } from "../auth/types.js";
import type { StateResProvider } from "./types.js";

const CREATE = "m.room.create";

export class EventGraph {
  private readonly events = new Map<string, RoomEvent | null>();
  private readonly orders = new Map<string, number>();
  private readonly parents = new Map<string, readonly string[]>();

  constructor(
    readonly version: RoomVersion,
    private readonly provider: StateResProvider,
  ) {}

  /** The event, or `undefined` when the server does not hold it. */
  event(id: string): RoomEvent | undefined {
    let ev = this.events.get(id);
    if (ev === undefined) {
      ev = this.provider.getEvent(id) ?? null;
      this.events.set(id, ev);
    }
    return ev ?? undefined;
  }

  has(id: string): boolean {
    return this.event(id) !== undefined;
  }

  authOrder(id: string): number {
    let o = this.orders.get(id);
    if (o === undefined) {
      o = this.provider.authOrder(id);
      this.orders.set(id, o);
    }
    return o;
  }

  /** Persist order without memoising: for one pass over the 10k-event unconflicted state. */
  authOrderOnce(id: string): number {
    return this.orders.get(id) ?? this.provider.authOrder(id);
  }

  isRejected(id: string): boolean {
    return this.provider.isRejected(id);
  }

  /**
   * The auth events of `id` that this server holds, in `auth_events` order. In v12 the create
   * event is no longer listed in `auth_events` but still authorises every event (its ID is
   * the room ID), so it is added here as the implicit auth event it is; the auth rules and
   * the creators' infinite power level both read it from there.
   */
  authParents(id: string): readonly string[] {
    let ps = this.parents.get(id);
    if (ps !== undefined) return ps;
    const ev = this.event(id);
    if (!ev) {
      ps = [];
    } else {
      const out: string[] = [];
      for (const a of ev.authEvents) if (this.has(a) && !out.includes(a)) out.push(a);
      if (this.version.roomIdFromCreateEvent && ev.type !== CREATE) {
        const create = createEventIdOfRoom(ev.roomId);
        if (create !== id && !out.includes(create) && this.has(create)) out.push(create);
      }
      ps = out;
    }
    this.parents.set(id, ps);
    return ps;
  }

  /** The first `m.room.power_levels` event among the auth events of `id` (mainline step). */
  powerLevelsParent(id: string): string | undefined {
    for (const a of this.authParents(id)) {
      const ev = this.event(a);
      if (ev && ev.type === "m.room.power_levels" && ev.stateKey === "") return a;
    }
    return undefined;
  }

  /**
   * The state an event's own auth events describe, by slot (later entries win, as a map built
   * from the list would). With `skipRejected`, rejected auth events are left out: the
   * iterative auth checks never authorise against them (rooms/fragments/v2-state-res.md,
   * "Rejected events").
   */
  authEventsState(id: string, skipRejected: boolean): Map<StateKey, RoomEvent> {
    const out = new Map<StateKey, RoomEvent>();
    for (const a of this.authParents(id)) {
      const ev = this.event(a);
      if (!ev || ev.stateKey === undefined) continue;
      if (skipRejected && this.isRejected(a)) continue;
      out.set(stateKey(ev.type, ev.stateKey), ev);
    }
    return out;
  }

  /** `authEventsState` as the auth rules read it. */
  authEventsLookup(id: string, skipRejected: boolean): AuthStateLookup {
    const map = this.authEventsState(id, skipRejected);
    return { get: (type, sk) => map.get(stateKey(type, sk)) };
  }
}
