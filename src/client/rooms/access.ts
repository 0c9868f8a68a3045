/**
 * Who may read a room through the client API, and which state they see (rooms.yaml `/state`,
 * `/members`: "If the user has left the room then the state is taken from the state of the
 * room when they left"; 403 "You aren't a member of the room and weren't previously a member").
 *
 *   joined                       → the current state
 *   left or banned (not forgot)  → the state after their leave/ban event
 *   world_readable room          → the current state (modules/history_visibility.md: anyone)
 *   otherwise, or forgotten      → 403 M_FORBIDDEN
 *
 * An unknown room answers the same 403, so room IDs cannot be probed. Which individual events
 * a reader may see is decided per event by src/rooms/visibility.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { splitStateKey, stateKey } from "../../events/types.js";
import type { RoomRecord } from "../../storage/rooms.js";
import type { NodeId } from "../../storage/state-node.js";
import { HISTORY_VISIBILITY, historyVisibilityOf } from "../../rooms/visibility/history-visibility.js";
import type { Position } from "../format/tokens.js";
import { forgottenRoomsOf } from "./forgotten.js";
import { positionOf } from "./timeline-page.js";

export interface RoomReadAccess {
  readonly room: RoomRecord;
  /** The reader's current membership, if any. */
  readonly membership: string | undefined;
  /** True when the reader sees the live state (joined, or a world-readable room). */
  readonly current: boolean;
  /** The state the reader may see. */
  readonly stateRoot: NodeId;
  /** For a reader who left: the timeline position of their leave (nothing after it is theirs). */
  readonly leftAt: Position | undefined;
}

/** The reader's view of the room, or 403. */
export function roomReadAccess(app: App, userId: string, roomId: string): RoomReadAccess {
  const room = app.storage.rooms.getRoom(roomId);
  if (room === undefined || room.createEventId === null) throw notAMember();
  const m = app.storage.rooms.membership(room.roomNid, userId);
  const current = () => app.storage.rooms.getHeads(room.roomNid).stateRoot;

  if (m?.membership === "join") return { room, membership: "join", current: true, stateRoot: current(), leftAt: undefined };
  if ((m?.membership === "leave" || m?.membership === "ban") && !forgottenRoomsOf(app).isForgotten(userId, roomId)) {
    const rec = app.storage.events.getEventByNid(m.nid);
    if (rec?.stateAfter != null) return { room, membership: m.membership, current: false, stateRoot: rec.stateAfter, leftAt: positionOf(rec) };
  }
  if (isWorldReadable(app, room.roomNid)) return { room, membership: m?.membership, current: true, stateRoot: current(), leftAt: undefined };
  throw notAMember();
}

/** Only joined members (rooms.yaml `/joined_members`; world-readable rooms too). */
export function requireJoinedOrWorldReadable(app: App, userId: string, roomId: string): RoomRecord {
  const room = app.storage.rooms.getRoom(roomId);
  if (room === undefined) throw notAMember();
  if (app.storage.rooms.membership(room.roomNid, userId)?.membership === "join") return room;
  if (isWorldReadable(app, room.roomNid)) return room;
  throw notAMember();
}

export function isWorldReadable(app: App, roomNid: number): boolean {
  const nid = app.storage.rooms.currentStateNid(roomNid, HISTORY_VISIBILITY, "");
  const content = nid === undefined ? undefined : app.rooms.loader.byNid(nid)?.content;
  return historyVisibilityOf(content) === "world_readable";
}

/** The event at (type, state_key) in `access`'s state, as a nid. */
export function stateNidAt(app: App, access: RoomReadAccess, type: string, key: string): number | undefined {
  if (access.current) return app.storage.rooms.currentStateNid(access.room.roomNid, type, key);
  return app.storage.state.get(access.stateRoot, stateKey(type, key));
}

/** Every (type, state_key) → nid of `access`'s state. */
export function stateEntriesAt(app: App, access: RoomReadAccess, type?: string): { type: string; stateKey: string; nid: number }[] {
  if (access.current) return app.storage.rooms.currentState(access.room.roomNid, type);
  const out: { type: string; stateKey: string; nid: number }[] = [];
  for (const [key, nid] of app.storage.state.toMap(access.stateRoot)) {
    const split = splitStateKey(key);
    if (type === undefined || split.type === type) out.push({ ...split, nid });
  }
  return out;
}

function notAMember() {
  return Errors.forbidden("You aren't a member of the room and weren't previously a member of the room");
}
