/**
 * The inputs and outputs of state resolution (server-server-api.md "Room State Resolution";
 * the algorithms themselves are per room version: rooms/v1.md, rooms/fragments/v2-state-res.md,
 * rooms/v12.md).
 *
 * Two entry points share one implementation (resolve.ts):
 * - `resolveState` takes whole state maps, the shape tests and small callers have.
 * - `resolveConflicted` takes only what differs. The storage-backed caller keeps every state
 *   set as a content-addressed persistent map and finds the conflicted keys by diffing maps,
 *   so it never materialises a 10k-member map; it hands over the conflicted keys and a view
 *   of the unconflicted state (`ConflictedStateInput`).
 */
import type { RoomEvent, StateKey } from "../../events/types.js";

/** `(type, state_key)` slot → event ID. */
export type StateMap = ReadonlyMap<StateKey, string>;

/** What state resolution reads from storage. Every method is synchronous (LMDB reads are). */
export interface StateResProvider {
  /** The event, or `undefined` when this server does not hold it (it is then left out). */
  getEvent(eventId: string): RoomEvent | undefined;
  /** Rejected events are never used as auth events in the iterative auth checks. */
  isRejected(eventId: string): boolean;
  /**
   * A number such that every event's auth events have a smaller one (persist order). Called
   * once for every unconflicted event, so it should be an index read, not an event decode.
   */
  authOrder(eventId: string): number;
}

/**
 * The unconflicted state map (rooms/fragments/v2-state-res.md "Unconflicted state map and
 * conflicted state set"): the slots every state set holds with the same event.
 */
export interface UnconflictedState {
  /** The event ID at `key`, or `undefined` when the slot is conflicted or empty everywhere. */
  get(key: StateKey): string | undefined;
  /** Every event ID of the unconflicted state map, in any order. */
  eventIds(): Iterable<string>;
  /**
   * Optional fast path: the unconflicted events whose authOrder is at least `floor` (the
   * auth-difference walk only ever starts from those). A storage-backed caller can answer it
   * without turning every one of a big room's members into an event ID.
   */
  eventIdsWithAuthOrderAtLeast?(floor: number): Iterable<string>;
}

export interface ConflictedStateInput {
  /**
   * Every conflicted slot with the event ID each state set holds there, indexed by state set
   * (`undefined` when that set has no event in the slot; absence counts as a distinct value).
   * All arrays have the same length, the number of state sets (at least 2), and no array
   * holds one event ID in every position (that slot would be unconflicted).
   */
  readonly conflicted: ReadonlyMap<StateKey, readonly (string | undefined)[]>;
  readonly unconflicted: UnconflictedState;
}
