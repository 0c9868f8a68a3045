/**
 * Presence (server-server-api.md "Presence"; client-server "Presence"): the last known state
 * per user, in memory for reads and in LMDB so it survives restarts.
 *
 * `last_active_ago` is relative to when the update was sent, so it is stored as an absolute
 * `lastActiveTs`; readers turn it back into "ago" at read time. An update that changes nothing
 * but moves `lastActiveTs` by less than `LAST_ACTIVE_GRANULARITY_MS` is not a change (remote
 * servers repeat presence while a user stays active; waking every /sync for that is waste).
 */
import type { JsonObject } from "../events/types.js";
import type { PresenceState } from "./presence-state.js";
import type { StoredPresence } from "../storage/layouts/ephemeral.js";
import type { Storage } from "../storage/storage.js";
import type { EduNotifier } from "./notifier.js";
import { StreamCounter } from "./stream-counter.js";

export type { PresenceState } from "./presence-state.js";
export { isPresenceState } from "./presence-state.js";

export const LAST_ACTIVE_GRANULARITY_MS = 60_000;
const MEMORY_MAX = 100_000;

export interface PresenceUpdate {
  readonly userId: string;
  readonly presence: PresenceState;
  readonly statusMsg?: string | undefined;
  readonly lastActiveAgo: number;
  readonly currentlyActive?: boolean | undefined;
}

export interface PresenceEntry {
  readonly pos: number;
  readonly userId: string;
  readonly presence: PresenceState;
  readonly statusMsg: string | undefined;
  readonly lastActiveTs: number;
  readonly currentlyActive: boolean;
  readonly updatedAt: number;
}

/**
 * The presence fields clients get as `m.presence` content and other servers in an m.presence
 * EDU push (which adds `user_id`): `last_active_ago` is counted from `now`.
 */
export function presenceContent(e: PresenceEntry, now: number): JsonObject {
  const content: JsonObject = {
    presence: e.presence,
    last_active_ago: Math.max(0, now - e.lastActiveTs),
    currently_active: e.currentlyActive,
  };
  if (e.statusMsg !== undefined) content.status_msg = e.statusMsg;
  return content;
}

export class PresenceStore {
  private readonly counter: StreamCounter;
  /** Last state per user; insertion order doubles as a rough LRU for the bound. */
  private readonly memory = new Map<string, PresenceEntry>();

  constructor(
    private readonly storage: Storage,
    private readonly notifier: EduNotifier,
    private readonly now: () => number = Date.now,
  ) {
    this.counter = new StreamCounter(storage, "presence");
  }

  get position(): number {
    return this.counter.position;
  }

  /** Apply updates in one durable write; returns how many users' presence changed. */
  async put(updates: readonly PresenceUpdate[]): Promise<number> {
    const now = this.now();
    const changed: PresenceEntry[] = [];
    await this.storage.write((w) => {
      for (const u of updates) {
        const lastActiveTs = now - Math.max(0, u.lastActiveAgo);
        const prevStored = w.read("presence", u.userId);
        const prev = prevStored ? fromStored(u.userId, prevStored) : undefined;
        const statusMsg = u.statusMsg;
        const currentlyActive = u.currentlyActive ?? false;
        if (
          prev &&
          prev.presence === u.presence &&
          prev.statusMsg === statusMsg &&
          prev.currentlyActive === currentlyActive &&
          Math.abs(prev.lastActiveTs - lastActiveTs) < LAST_ACTIVE_GRANULARITY_MS
        ) {
          continue;
        }
        const pos = this.counter.next(w);
        if (prevStored) this.counter.removeRow(w, prevStored[0]);
        const stored: StoredPresence = [pos, u.presence, statusMsg ?? null, lastActiveTs, currentlyActive, now];
        w.put("presence", u.userId, stored);
        this.counter.putRow(w, pos, u.userId);
        changed.push(fromStored(u.userId, stored));
      }
    });
    for (const entry of changed) {
      this.remember(entry);
      this.counter.committedUpTo(entry.pos);
      this.notifier.emit({ stream: "presence", pos: entry.pos, userId: entry.userId });
    }
    return changed.length;
  }

  get(userId: string): PresenceEntry | undefined {
    const hit = this.memory.get(userId);
    if (hit) return hit;
    const stored = this.storage.store.dbs.presence.get(userId);
    if (!stored) return undefined;
    const entry = fromStored(userId, stored);
    this.remember(entry);
    return entry;
  }

  /** Users whose presence changed after `pos` (up to `limit`), oldest first, at their latest state. */
  since(pos: number, limit = 1000): { position: number; entries: PresenceEntry[] } {
    const upTo = this.counter.position;
    const entries: PresenceEntry[] = [];
    for (const { row } of this.counter.rows(pos, limit)) {
      const entry = this.get(row as string);
      if (entry) entries.push(entry);
    }
    return { position: upTo, entries };
  }

  private remember(entry: PresenceEntry): void {
    this.memory.delete(entry.userId);
    this.memory.set(entry.userId, entry);
    if (this.memory.size > MEMORY_MAX) {
      const oldest = this.memory.keys().next().value;
      if (oldest !== undefined) this.memory.delete(oldest);
    }
  }
}

function fromStored(userId: string, s: StoredPresence): PresenceEntry {
  return {
    pos: s[0],
    userId,
    presence: s[1] as PresenceState,
    statusMsg: s[2] ?? undefined,
    lastActiveTs: s[3],
    currentlyActive: s[4],
    updatedAt: s[5],
  };
}
