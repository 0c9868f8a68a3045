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
 * invite to a room we are not in), becomes an empty `rooms.leave` entry, so the client drops
 * the invite.
 */
import type { JsonObject } from "../../events/types.js";
import type { PendingKind, PendingMembership } from "../../rooms/membership/membership-store.js";
import { invitePermissions } from "../../rooms/membership/invite-permission.js";
import { toStrippedState } from "../../rooms/membership/stripped-state.js";
import { roomAllowed } from "../format/room-event-filter.js";
import type { SyncRun } from "./run.js";

/** Membership-stream changes read per sync; the rest come with the next one. */
const CHANGE_BATCH = 5000;

export interface PendingSections {
  readonly invite: Record<string, JsonObject>;
  readonly knock: Record<string, JsonObject>;
  /** Rooms to report as left with no timeline (withdrawn remote invites/knocks). */
  readonly left: string[];
}

export function pendingRooms(run: SyncRun): PendingSections {
  const store = run.ctx.membership;
  const out: PendingSections = { invite: {}, knock: {}, left: [] };
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
