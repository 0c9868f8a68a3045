/**
 * Rooms: identity and version, and the read side of everything the room actor maintains per
 * room (heads, flat current state, memberships, timeline orderings, the global stream). The
 * write side is one call, `persistEvents` (persist-events.ts).
 *
 * Read methods without a `view` argument read committed data: they are what the read paths
 * (`/state_ids`, `/messages`, `/sync`, backfill) use, never waiting on an actor.
 */
import type { StateKey } from "../events/types.js";
import { prefixRange } from "./keys.js";
import type { StoredCounters, StoredRoom } from "./layout.js";
import { EMPTY_ROOT } from "./state-map.js";
import type { NodeId } from "./state-node.js";
import type { Store } from "./store.js";
import type { ReadView, WriteBatch } from "./write-batch.js";

export interface RoomInfo {
  readonly roomId: string;
  /** Room version identifier (look it up in src/events/room-versions.ts). */
  readonly version: string;
  /** Unknown until the create event is held (e.g. a room we are only invited to). */
  readonly createEventId: string | null;
  readonly createdTs: number;
  /** Created on this server. */
  readonly isLocal: boolean;
}

export interface RoomRecord extends RoomInfo {
  readonly roomNid: number;
}

export interface RoomHeads {
  /** Forward extremities: the events the next local event lists as prev_events. */
  readonly extremities: readonly number[];
  /** The room's current (resolved) state. */
  readonly stateRoot: NodeId;
}

export interface Membership {
  readonly membership: string;
  /** The `m.room.member` event. */
  readonly nid: number;
}

export interface StreamEntry {
  readonly pos: number;
  readonly roomNid: number;
  readonly nid: number;
}

export interface StateDelta {
  readonly pos: number;
  readonly roomNid: number;
  readonly changes: readonly { key: StateKey; old: number | null; new: number | null }[];
}

export interface TimelineEntry {
  readonly streamOrdering: number;
  readonly depth?: number;
  readonly nid: number;
}

export type Direction = "f" | "b";

const NO_HEADS: RoomHeads = { extremities: [], stateRoot: EMPTY_ROOT };

export class RoomStore {
  constructor(private readonly store: Store) {}

  // ---- identity ----------------------------------------------------------------------------

  /** Creates or updates a room record; returns its nid. */
  putRoom(w: WriteBatch, info: RoomInfo): number {
    let roomNid = w.read("roomNids", info.roomId);
    if (roomNid === undefined) {
      roomNid = w.next("roomNid");
      w.put("roomNids", info.roomId, roomNid);
    }
    const stored: StoredRoom = [info.roomId, info.version, info.createEventId, info.createdTs, info.isLocal];
    w.put("rooms", roomNid, stored);
    return roomNid;
  }

  roomNidOf(roomId: string, view: ReadView = this.store.committed): number | undefined {
    return view.read("roomNids", roomId);
  }

  getRoom(roomId: string, view: ReadView = this.store.committed): RoomRecord | undefined {
    const nid = view.read("roomNids", roomId);
    return nid === undefined ? undefined : this.getRoomByNid(nid, view);
  }

  getRoomByNid(roomNid: number, view: ReadView = this.store.committed): RoomRecord | undefined {
    const s = view.read("rooms", roomNid);
    if (s === undefined) return undefined;
    return { roomNid, roomId: s[0], version: s[1], createEventId: s[2], createdTs: s[3], isLocal: s[4] };
  }

  /** Every room nid (startup: the room registry). */
  allRoomNids(): number[] {
    return [...this.store.dbs.rooms.getKeys()];
  }

  // ---- heads and current state -------------------------------------------------------------

  getHeads(roomNid: number, view: ReadView = this.store.committed): RoomHeads {
    const s = view.read("roomHeads", roomNid);
    return s === undefined ? NO_HEADS : { extremities: s[0], stateRoot: s[1] };
  }

  /** The current state's event at (type, stateKey), from the flat index. */
  currentStateNid(roomNid: number, type: string, stateKey: string): number | undefined {
    return this.store.dbs.roomState.get([roomNid, type, stateKey]);
  }

  /** The current state, or its slots of one type, in (type, stateKey) order. */
  currentState(roomNid: number, type?: string): { type: string; stateKey: string; nid: number }[] {
    const range = prefixRange(type === undefined ? [roomNid] : [roomNid, type]);
    const out: { type: string; stateKey: string; nid: number }[] = [];
    for (const { key, value } of this.store.dbs.roomState.getRange(range)) {
      if (key.length !== 3) continue;
      out.push({ type: key[1], stateKey: key[2], nid: value });
    }
    return out;
  }

  // ---- membership (current state only) ----------------------------------------------------

  membership(roomNid: number, userId: string): Membership | undefined {
    const s = this.store.dbs.roomMembers.get([roomNid, userId]);
    return s === undefined ? undefined : { membership: s[0], nid: s[1] };
  }

  /** Members of a room, optionally only those with one membership, in user ID order. */
  members(roomNid: number, membership?: string): { userId: string; membership: string; nid: number }[] {
    const out: { userId: string; membership: string; nid: number }[] = [];
    for (const { key, value } of this.store.dbs.roomMembers.getRange(prefixRange([roomNid]))) {
      if (key.length !== 2) continue;
      if (membership === undefined || value[0] === membership) out.push({ userId: key[1], membership: value[0], nid: value[1] });
    }
    return out;
  }

  /** A user's rooms, optionally only those with one membership. */
  roomsOfUser(userId: string, membership?: string): { roomNid: number; membership: string; nid: number }[] {
    const out: { roomNid: number; membership: string; nid: number }[] = [];
    for (const { key, value } of this.store.dbs.userRooms.getRange(prefixRange([userId]))) {
      if (key.length !== 2) continue;
      if (membership === undefined || value[0] === membership) out.push({ roomNid: key[1], membership: value[0], nid: value[1] });
    }
    return out;
  }

  /** Servers with at least one joined member: where new events of the room are sent. */
  /** Is `userId`'s current membership in the room `join`? (False for a room we do not hold.) */
  isJoined(roomId: string, userId: string): boolean {
    const room = this.getRoom(roomId);
    return room !== undefined && this.membership(room.roomNid, userId)?.membership === "join";
  }

  /** Does `serverName` have a joined user in the room? (One point read: big rooms have thousands of servers.) */
  hasJoinedServer(roomNid: number, serverName: string): boolean {
    return (this.store.dbs.roomHosts.get([roomNid, serverName]) ?? 0) > 0;
  }

  joinedServers(roomNid: number): string[] {
    const out: string[] = [];
    for (const key of this.store.dbs.roomHosts.getKeys(prefixRange([roomNid]))) {
      if (key.length === 2) out.push(key[1]);
    }
    return out;
  }

  // ---- orderings -----------------------------------------------------------------------------

  /**
   * Timeline by stream ordering (/messages): entries strictly after (`f`) or before (`b`)
   * `from`, or from the start/end when `from` is omitted.
   */
  timeline(roomNid: number, opts: { from?: number; dir: Direction; limit: number }): TimelineEntry[] {
    const { from, dir, limit } = opts;
    const lo = [roomNid];
    const hi = [roomNid + 1];
    const range =
      dir === "f"
        ? { start: from === undefined ? lo : [roomNid, from], end: hi, exclusiveStart: from !== undefined }
        : { start: from === undefined ? hi : [roomNid, from], end: lo, reverse: true, exclusiveStart: from !== undefined };
    const out: TimelineEntry[] = [];
    for (const { key, value } of this.store.dbs.roomStream.getRange({ ...range, limit })) {
      out.push({ streamOrdering: key[1], nid: value });
    }
    return out;
  }

  /**
   * Timeline by (depth, stream ordering), the topological order of /messages tokens and
   * backfill: entries strictly after (`f`) or before (`b`) the position `from`.
   */
  topological(roomNid: number, opts: { from?: readonly [depth: number, stream: number]; dir: Direction; limit: number }): TimelineEntry[] {
    const { from, dir, limit } = opts;
    const lo = [roomNid];
    const hi = [roomNid + 1];
    const at = from === undefined ? undefined : [roomNid, from[0], from[1]];
    const range =
      dir === "f"
        ? { start: at ?? lo, end: hi, exclusiveStart: at !== undefined }
        : { start: at ?? hi, end: lo, reverse: true, exclusiveStart: at !== undefined };
    const out: TimelineEntry[] = [];
    for (const { key, value } of this.store.dbs.roomTopo.getRange({ ...range, limit })) {
      out.push({ depth: key[1], streamOrdering: key[2], nid: value });
    }
    return out;
  }

  /** Timeline events of every room with `after < pos ≤ upTo` (for /sync), oldest first. */
  streamSince(after: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): StreamEntry[] {
    const out: StreamEntry[] = [];
    for (const { key, value } of this.store.dbs.stream.getRange({ start: after, end: upTo, exclusiveStart: true, inclusiveEnd: true, limit })) {
      out.push({ pos: key, roomNid: value[0], nid: value[1] });
    }
    return out;
  }

  /** Current-state changes of every room with `after < pos ≤ upTo`, oldest first. */
  stateDeltasSince(after: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): StateDelta[] {
    const out: StateDelta[] = [];
    for (const { key, value } of this.store.dbs.stateDeltas.getRange({ start: after, end: upTo, exclusiveStart: true, inclusiveEnd: true, limit })) {
      out.push({ pos: key, roomNid: value[0], changes: value[1].map(([k, o, n]) => ({ key: k, old: o, new: n })) });
    }
    return out;
  }

  /** The highest stream position allocated by a committed write (a /sync `next_batch`). */
  currentStreamPosition(): number {
    const c = this.store.dbs.meta.get("counters") as StoredCounters | undefined;
    return c === undefined ? 0 : c.stream - 1;
  }
}
