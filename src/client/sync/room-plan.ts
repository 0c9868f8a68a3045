/**
 * Which of the viewer's rooms a sync reports, and how (sync.yaml `rooms.join`, `rooms.leave`;
 * invites and knocks come from the pending-membership store: pending-rooms.ts).
 *
 * Initial sync: every joined room in full; rooms the viewer left or was banned from only with
 * `include_leave` (and not forgotten).
 *
 * Incremental sync over (since, to]:
 * - a room with timeline events in the window ("active"), or ephemeral or account-data
 *   changes, or every joined room with `full_state`;
 * - joined, and the viewer's current join happened in the window with a membership other than
 *   join before it: newly joined, so a full section ("joins during a sync window");
 * - left or banned in the window: a leave section with the timeline up to the leave event.
 *
 * A leave that did not follow a join (a rejected invite, a withdrawn knock, a ban of someone
 * who never joined) gets a minimal section: the viewer's own member event and no room state,
 * which they were never entitled to see.
 *
 * Active rooms come from one range scan of the global stream when the window is small (the
 * long-poll case: a few events), otherwise from one lookup per room of the viewer.
 */
import type { EventRecord } from "../../storage/events.js";
import { membershipAt } from "../format/client-event.js";
import { roomAllowed } from "../format/room-event-filter.js";
import { forgottenRoomsOf } from "../rooms/forgotten.js";
import type { SyncRun } from "./run.js";

/** Windows up to this many stream positions are read from the global stream in one scan. */
const GLOBAL_SCAN_MAX = 2048;

export interface RoomPlan {
  readonly kind: "join" | "leave";
  readonly roomNid: number;
  readonly roomId: string;
  /** Full state section (and ephemeral/timeline from the start of the room's history). */
  readonly full: boolean;
  /** Timeline lower bound (exclusive); undefined: recent history regardless of `since`. */
  readonly after: number | undefined;
  /** The viewer's current member event. */
  readonly member: EventRecord;
  /** Leave sections only: report just the viewer's member event (they never joined). */
  readonly minimal?: boolean;
}

export function planRooms(run: SyncRun, extraRoomIds: ReadonlySet<string>): RoomPlan[] {
  const storage = run.storage;
  const since = run.since;
  const active = since === undefined ? undefined : activeRooms(run, since.room);
  const extra = new Set<number>();
  for (const roomId of extraRoomIds) {
    const nid = storage.rooms.roomNidOf(roomId);
    if (nid !== undefined) extra.add(nid);
  }
  const forgotten = forgottenRoomsOf(run.ctx.app);
  const plans: RoomPlan[] = [];

  for (const { roomNid, membership, nid } of storage.rooms.roomsOfUser(run.userId)) {
    if (membership !== "join" && membership !== "leave" && membership !== "ban") continue;
    // Incremental: a membership that changed in the window put its event in the window, so a
    // room without activity has nothing to report (the long-poll hot path skips it unread).
    if (active !== undefined && !run.fullState && !active.has(roomNid) && !extra.has(roomNid)) continue;
    const roomId = run.roomId(roomNid);
    const member = run.record(nid);
    if (roomId === undefined || member === undefined) continue;
    if (!roomAllowed(run.filter.room, roomId)) continue;
    const base = { roomNid, roomId, member };

    if (since === undefined) {
      if (membership === "join") plans.push({ ...base, kind: "join", full: true, after: undefined });
      else if (run.filter.room.includeLeave && !forgotten.isForgotten(run.userId, roomId)) {
        plans.push({ ...base, kind: "leave", full: true, after: undefined, minimal: membershipBefore(run, member) !== "join" });
      }
      continue;
    }

    const memberPos = member.streamOrdering;
    const changed = memberPos !== undefined && memberPos > since.room && memberPos <= run.to.room;
    const before = changed ? membershipBefore(run, member) : membership;
    if (membership === "join") {
      if (changed && before !== "join") plans.push({ ...base, kind: "join", full: true, after: undefined });
      else if (run.fullState || active!.has(roomNid) || extra.has(roomNid)) {
        plans.push({ ...base, kind: "join", full: run.fullState, after: since.room });
      }
    } else if (changed) {
      const wasJoined = before === "join";
      plans.push({ ...base, kind: "leave", full: !wasJoined, after: since.room, minimal: !wasJoined });
    }
  }
  return plans;
}

/** The viewer's membership in the state before their member event (`leave` when none). */
function membershipBefore(run: SyncRun, member: EventRecord): string {
  return member.stateBefore === null ? "leave" : membershipAt(run.ctx.app, member.stateBefore, run.userId);
}

/** Rooms with timeline events in (after, to]. */
function activeRooms(run: SyncRun, after: number): ReadonlySet<number> {
  const out = new Set<number>();
  const upTo = run.to.room;
  if (upTo <= after) return out;
  const rooms = run.storage.rooms;
  if (upTo - after <= GLOBAL_SCAN_MAX) return run.ctx.snapshot.activeRooms(upTo, after);
  const db = run.storage.store.dbs.roomStream;
  for (const { roomNid } of rooms.roomsOfUser(run.userId)) {
    for (const { key } of db.getRange({ start: [roomNid, after], end: [roomNid, upTo], exclusiveStart: true, inclusiveEnd: true, limit: 1 })) {
      if (key.length === 2) out.add(roomNid);
    }
  }
  return out;
}
