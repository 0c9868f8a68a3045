/**
 * `rooms.invite` and `rooms.knock` (sync.yaml "Invited Room", "Knocked rooms"), from the
 * pending-membership store (src/rooms/membership/membership-store.ts), which holds invites and
 * knocks whether or not this server is in the room.
 *
 * Each carries the room's stripped state ("Stripped state": `m.room.create` is required since
 * v1.16; the store keeps it pruned to the four stripped fields) followed by the viewer's own
 * invite or knock member event, stripped too: clients read the inviter and the reason from it
 * (the sync.yaml examples end `invite_state` / `knock_state` with that event).
 *
 * Incremental: the entries of the viewer changed since `since`. One that was removed and not
 * replaced, in a room where the viewer has no local membership telling the story (a rejected
 * invite to a room we are not in), becomes a `rooms.leave` entry whose timeline is the leave
 * event that ended it, when a leave handshake did (clients take the viewer's membership from
 * their member event: with none, matrix-js-sdk keeps showing the invite), else empty.
 */
import type { JsonObject } from "../../events/types.js";
import type { EndingLeave, PendingKind, PendingMembership } from "../../rooms/membership/membership-store.js";
import { invitePermissions } from "../../rooms/membership/invite-permission.js";
import { toStrippedState } from "../../rooms/membership/stripped-state.js";
import { ageAt, clientEventFields } from "../format/client-event.js";
import { matchesRoomEventFilter, roomAllowed } from "../format/room-event-filter.js";
import type { SyncRun } from "./run.js";

/** Membership-stream changes read per sync; the rest come with the next one. */
const CHANGE_BATCH = 5000;

export interface PendingSections {
  readonly invite: Record<string, JsonObject>;
  readonly knock: Record<string, JsonObject>;
  /** Rooms to report as left (withdrawn remote invites/knocks). */
  readonly left: string[];
  /** Room ID → the viewer's leave event (client form, no room_id) that ended it, when known. */
  readonly leaveEvents: Map<string, JsonObject>;
}

export function pendingRooms(run: SyncRun): PendingSections {
  const store = run.ctx.membership;
  const out: PendingSections = { invite: {}, knock: {}, left: [], leaveEvents: new Map() };
  const since = run.since;
  if (since === undefined) {
    for (const p of store.invitesOf(run.userId)) add(run, out, p);
    for (const p of store.knocksOf(run.userId)) add(run, out, p);
    return out;
  }
  if (since.membership >= run.to.membership) return out;
  const page = store.since(since.membership, CHANGE_BATCH).changes;
  const last = page[page.length - 1];
  if (page.length === CHANGE_BATCH && last !== undefined) run.next.membership = Math.min(run.next.membership, last.pos);
  const changes = page.filter((c) => c.pos <= run.to.membership);
  const seen = new Set<string>();
  for (const c of changes) {
    // The latest leave of the window wins (changes are oldest first).
    if (c.userId === run.userId && c.leave !== undefined && showsLeave(run, c.roomId, c.leave)) out.leaveEvents.set(c.roomId, clientLeave(run, c.leave));
    if (c.userId !== run.userId || seen.has(`${c.kind}\u0000${c.roomId}`)) continue;
    seen.add(`${c.kind}\u0000${c.roomId}`);
    const now = current(run, c.kind, c.roomId);
    if (now !== undefined) add(run, out, now);
    else if (c.removed && !hasLocalStory(run, c.roomId) && roomAllowed(run.filter.room, c.roomId)) out.left.push(c.roomId);
  }
  // A room re-entered by invite or knock after a withdrawal in the same window is not left.
  out.left.splice(0, out.left.length, ...new Set(out.left.filter((r) => out.invite[r] === undefined && out.knock[r] === undefined)));
  return out;
}

function showsLeave(run: SyncRun, roomId: string, leave: EndingLeave): boolean {
  const e = leave.event;
  return matchesRoomEventFilter(run.filter.room.timeline, { type: e.type, sender: e.sender, roomId, content: e.content });
}

/** client_event_without_room_id.yaml; `unsigned.membership` is the viewer's own: leave. */
function clientLeave(run: SyncRun, leave: EndingLeave): JsonObject {
  return { ...clientEventFields(leave.eventId, leave.event), unsigned: { age: ageAt(leave.event, run.now), membership: "leave" } };
}

function current(run: SyncRun, kind: PendingKind, roomId: string): PendingMembership | undefined {
  return kind === "invite" ? run.ctx.membership.invite(run.userId, roomId) : run.ctx.membership.knock(run.userId, roomId);
}

function add(run: SyncRun, out: PendingSections, p: PendingMembership): void {
  if (!roomAllowed(run.filter.room, p.roomId)) return;
  // modules/invite_permission.md: invites to a user who blocks them MUST NOT be served over
  // /sync (they are kept, and come back if the user stops blocking).
  if (p.kind === "invite" && invitePermissions(run.storage).isBlocked(run.userId)) return;
  const own = toStrippedState(p.event);
  const events = p.strippedState.filter((e) => !(e.type === own.type && e.state_key === own.state_key));
  events.push(own);
  if (p.kind === "invite") out.invite[p.roomId] = { invite_state: { events: events as unknown as JsonObject[] } };
  else out.knock[p.roomId] = { knock_state: { events: events as unknown as JsonObject[] } };
}

/** The viewer has a membership in one of our copies of the room (the room sections cover it). */
function hasLocalStory(run: SyncRun, roomId: string): boolean {
  const room = run.storage.rooms.getRoom(roomId);
  return room !== undefined && run.storage.rooms.membership(room.roomNid, run.userId) !== undefined;
}
