/**
 * The `presence` section (sync.yaml; modules/presence.md): `m.presence` events of the viewer
 * and of users sharing a room with them ("Presence information is published to all users who
 * share a room with the target user").
 *
 * Incremental: the users whose presence changed since `since` (each at its latest state).
 * Initial: the known presence of the viewer and of the members of their joined rooms (bounded:
 * a client in huge rooms fetches the rest on demand with GET /presence).
 *
 * `last_active_ago` is computed at read time ("The last active time must be up to date
 * whenever the server gives a presence event to the client").
 */
import { presenceContent, type PresenceEntry } from "../../edu/index.js";
import type { JsonObject } from "../../events/types.js";
import { matchesEventFilter } from "../format/room-event-filter.js";
import type { SyncRun } from "./run.js";

const CHANGE_BATCH = 1000;
const INITIAL_MAX_USERS = 2000;

export function presenceSection(run: SyncRun): JsonObject[] {
  const presence = run.ctx.edu.presence;
  const entries: PresenceEntry[] = [];
  const since = run.since;
  if (since === undefined) {
    for (const userId of initialUsers(run)) {
      const e = presence.get(userId);
      if (e !== undefined) entries.push(e);
    }
  } else if (since.presence < run.to.presence) {
    const changed = presence.since(since.presence, CHANGE_BATCH).entries.filter((e) => e.pos <= run.to.presence);
    const last = changed[changed.length - 1];
    if (changed.length === CHANGE_BATCH && last !== undefined) run.next.presence = Math.min(run.next.presence, last.pos);
    for (const e of changed) if (run.sharesRoomWith(e.userId)) entries.push(e);
  }
  const filter = run.filter.presence;
  const out: JsonObject[] = [];
  for (const e of entries) {
    if (!matchesEventFilter(filter, { type: "m.presence", sender: e.userId })) continue;
    out.push(presenceEvent(e, run.now));
    if (filter.limit !== undefined && out.length >= filter.limit) break;
  }
  return out;
}

export function presenceEvent(e: PresenceEntry, now: number): JsonObject {
  return { type: "m.presence", sender: e.userId, content: presenceContent(e, now) };
}

function initialUsers(run: SyncRun): Set<string> {
  const users = new Set<string>([run.userId]);
  for (const roomNid of run.joinedRoomNids()) {
    for (const m of run.storage.rooms.members(roomNid, "join")) {
      if (users.size >= INITIAL_MAX_USERS) return users;
      users.add(m.userId);
    }
  }
  return users;
}
