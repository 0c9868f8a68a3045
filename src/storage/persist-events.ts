/**
 * The room actor's one write: events with their state, the new forward extremities and the
 * new current state (with the membership and joined-server indexes it implies), all in the
 * caller's `WriteBatch`, so they commit together or not at all.
 *
 * ```
 * store.write((w) => {
 *   const nid = storage.events.intern(w, ev.eventId);           // nids first, if needed
 *   const root = storage.state.applyChanges(w, current, changes); // e.g. after state res
 *   return storage.persistEvents(w, roomNid, [{ event: ev, status: "accepted", stateBefore }],
 *     { extremities: [nid], currentState: { root, changes } });
 * });
 * ```
 *
 * Per event: the record; for non-outliers the prev_events edges; for accepted events the
 * timeline orderings; for state events that count (accepted, soft-failed) the state after.
 * Rejected events do not change state (server-server-api.md "Rejection"); soft-failed ones do
 * take part in state ("Soft failure": they may end up in the current state through state
 * resolution), but get no stream ordering, since they are not sent to clients.
 */
import { domainOf } from "../events/ids.js";
import { splitStateKey, stateKey, type JsonObject, type RoomEvent, type StateKey } from "../events/types.js";
import type { EventStore } from "./events.js";
import { statusCode, type EventStatus } from "./events.js";
import type { StoredEvent } from "./layout.js";
import type { RoomStore } from "./rooms.js";
import type { StateChanges, StateMaps } from "./state-map.js";
import type { NodeId } from "./state-node.js";
import type { WriteBatch } from "./write-batch.js";

export interface PersistEventInput {
  readonly event: RoomEvent;
  readonly status: EventStatus;
  readonly rejectReason?: string;
  /**
   * Root of the state before the event. Required for accepted and soft-failed events; `null`
   * for outliers and for events rejected before their state was known.
   */
  readonly stateBefore: NodeId | null;
  /**
   * A historical event found by backfill: it gets a negative stream ordering (it sorts
   * before everything already in the timeline) and stays out of the /sync stream.
   */
  readonly backfilled?: boolean;
  /**
   * For backfilled events: a stream ordering reserved by the caller (`w.next("backfill")`), so a
   * batch placed oldest-first can still number newest-first (history reads newest to oldest in
   * stream order). Default: the next backfill ordering.
   */
  readonly streamOrdering?: number;
}

export interface PersistOptions {
  /** The room's new forward extremities (replaces the stored set). */
  readonly extremities?: readonly number[];
  /**
   * The room's new current state. `changes` (slot → nid, or null for removed) when the caller
   * has them; otherwise they are found by diffing the old and new roots.
   */
  readonly currentState?: { readonly root: NodeId; readonly changes?: StateChanges };
}

export interface PersistedEvent {
  readonly nid: number;
  /**
   * The event's ID was interned before this write (something referenced it, or it was held as
   * an outlier), so stored events may already list it as a prev event. False means nothing can.
   */
  readonly referencedBefore: boolean;
  readonly authOrder: number;
  readonly stateAfter: NodeId | null;
  readonly streamOrdering: number | undefined;
}

export interface PersistDeps {
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly state: StateMaps;
}

const MEMBER = "m.room.member";

/**
 * Memberships of the member events persisted in a batch, so the current-state update later in
 * the same batch (often a separate `persistEvents` call) needs no PDU parse.
 */
const membershipMemo = new WeakMap<WriteBatch, Map<number, string>>();

function batchMemberships(w: WriteBatch): Map<number, string> {
  let m = membershipMemo.get(w);
  if (m === undefined) membershipMemo.set(w, (m = new Map()));
  return m;
}

/** The auth rules only accept member events whose membership is a known string. */
function membershipOf(content: JsonObject): string {
  return typeof content.membership === "string" ? content.membership : "leave";
}

export function persistEvents(
  deps: PersistDeps,
  w: WriteBatch,
  roomNid: number,
  inputs: readonly PersistEventInput[],
  opts: PersistOptions = {},
): PersistedEvent[] {
  const { events, rooms, state } = deps;
  const room = rooms.getRoomByNid(roomNid, w);
  if (room === undefined) throw new Error(`storage: unknown room nid ${roomNid}`);

  const results: PersistedEvent[] = [];
  const memberships = batchMemberships(w);
  for (const input of inputs) {
    const ev = input.event;
    if (ev.roomId !== room.roomId) throw new Error(`storage: event ${ev.eventId} is not in room ${room.roomId}`);
    const [nid, fresh] = events.internFlagged(w, ev.eventId);
    const existing = fresh ? undefined : w.read("events", nid);
    if (existing !== undefined && existing[4] !== statusCode("outlier")) {
      throw new Error(`storage: event ${ev.eventId} is already persisted`);
    }
    const outlier = input.status === "outlier";
    const countsForState = input.status === "accepted" || input.status === "soft_failed";
    if (countsForState && input.stateBefore === null) throw new Error(`storage: ${input.status} event ${ev.eventId} needs its state`);

    let stateAfter: NodeId | null = null;
    if (countsForState && ev.stateKey !== undefined) {
      stateAfter = state.set(w, input.stateBefore!, stateKey(ev.type, ev.stateKey), nid);
      if (ev.type === MEMBER) memberships.set(nid, membershipOf(ev.content));
    }

    let streamOrdering: number | undefined;
    if (input.status === "accepted") {
      streamOrdering = input.backfilled ? (input.streamOrdering ?? w.next("backfill")) : w.next("stream");
      w.put("roomStream", [roomNid, streamOrdering], nid);
      w.put("roomTopo", [roomNid, ev.depth, streamOrdering], nid);
      if (!input.backfilled) w.put("stream", streamOrdering, [roomNid, nid]);
    }
    if (!outlier) {
      for (const prev of ev.prevEvents) w.put("eventEdges", [events.intern(w, prev), nid], 1);
    }
    if (ev.redacts !== undefined && input.status !== "rejected") {
      w.put("redactions", [events.intern(w, ev.redacts), nid], 1);
    }

    const authOrder = existing?.[2] ?? w.next("authOrder");
    // A redaction applied while the event was an outlier stays applied (its text is kept).
    const pduJson = existing?.[9] != null ? undefined : JSON.stringify(ev.pdu);
    const stored: StoredEvent = [
      ev.eventId,
      roomNid,
      authOrder,
      ev.depth,
      statusCode(input.status),
      input.stateBefore,
      stateAfter !== null && stateAfter !== input.stateBefore ? stateAfter : null,
      streamOrdering ?? null,
      input.rejectReason ?? null,
      existing?.[9] ?? null,
    ];
    events.putRecord(w, nid, stored, pduJson);
    results.push({ nid, referencedBefore: !fresh, authOrder, stateAfter: stateAfter ?? input.stateBefore, streamOrdering });
  }

  const heads = rooms.getHeads(roomNid, w);
  let stateRoot = heads.stateRoot;
  if (opts.currentState !== undefined && opts.currentState.root !== heads.stateRoot) {
    stateRoot = opts.currentState.root;
    applyCurrentState(deps, w, roomNid, heads.stateRoot, stateRoot, opts.currentState.changes, memberships);
  }
  if (opts.extremities !== undefined || stateRoot !== heads.stateRoot) {
    const extremities = [...new Set(opts.extremities ?? heads.extremities)];
    for (const x of extremities) if (!Number.isSafeInteger(x) || x <= 0) throw new RangeError(`storage: bad extremity nid ${x}`);
    w.put("roomHeads", roomNid, [extremities, stateRoot]);
  }
  return results;
}

/** Updates the flat current state, the membership indexes, joined servers and the delta stream. */
function applyCurrentState(
  deps: PersistDeps,
  w: WriteBatch,
  roomNid: number,
  oldRoot: NodeId,
  newRoot: NodeId,
  given: StateChanges | undefined,
  memberships: ReadonlyMap<number, string>,
): void {
  const { state } = deps;
  const deltas: [StateKey, number | null, number | null][] = [];
  if (given === undefined) {
    for (const d of state.diff(oldRoot, newRoot, w)) deltas.push([d.key, d.a ?? null, d.b ?? null]);
  } else {
    for (const [key, nid] of given) {
      const old = state.get(oldRoot, key, w) ?? null;
      if (old !== nid) deltas.push([key, old, nid]);
    }
  }
  for (const [key, , nid] of deltas) {
    const { type, stateKey: sk } = splitStateKey(key);
    if (nid === null) w.remove("roomState", [roomNid, type, sk]);
    else w.put("roomState", [roomNid, type, sk], nid);
    if (type === MEMBER) updateMembership(deps, w, roomNid, sk, nid, memberships);
  }
  if (deltas.length > 0) w.put("stateDeltas", w.next("stream"), [roomNid, deltas]);
}

function updateMembership(
  deps: PersistDeps,
  w: WriteBatch,
  roomNid: number,
  userId: string,
  nid: number | null,
  memberships: ReadonlyMap<number, string>,
): void {
  const before = w.read("roomMembers", [roomNid, userId]);
  let membership: string | undefined;
  if (nid === null) {
    w.remove("roomMembers", [roomNid, userId]);
    w.remove("userRooms", [userId, roomNid]);
  } else {
    membership = memberships.get(nid);
    if (membership === undefined) {
      const content = deps.events.getEventByNid(nid, w)?.pdu.content;
      if (content === undefined) throw new Error(`storage: current-state member event nid ${nid} is not stored`);
      membership = membershipOf(content);
    }
    w.put("roomMembers", [roomNid, userId], [membership, nid]);
    w.put("userRooms", [userId, roomNid], [membership, nid]);
  }
  const wasJoined = before?.[0] === "join";
  const isJoined = membership === "join";
  if (wasJoined === isJoined) return;
  const server = domainOf(userId);
  if (server === null) return;
  const count = (w.read("roomHosts", [roomNid, server]) ?? 0) + (isJoined ? 1 : -1);
  if (count > 0) w.put("roomHosts", [roomNid, server], count);
  else w.remove("roomHosts", [roomNid, server]);
}
