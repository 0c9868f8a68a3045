/**
 * Reads many syncs share. When one commit wakes a thousand long-polls, each recomputes its
 * response from the same committed snapshot: the same stream window, the same new events. This
 * cache lets them share the work (one stream scan, one record decode and PDU parse per event)
 * instead of repeating it a thousand times.
 *
 * Validity: everything here belongs to one generation of the event store, named by the
 * allocation counters every event write moves (stream and backfill positions, and the persist
 * sequence `authOrder`, which every newly stored event takes), and is dropped as soon as a
 * sync sees another. Stored events only change in a write that stores an event (a redaction
 * rewrites its target in the write that stores the redaction or the target), so a record
 * cached in a generation is the record as of it. Room IDs never change and are kept across
 * generations (bounded).
 */
import type { StoredCounters } from "../../storage/layout.js";
import type { EventRecord } from "../../storage/events.js";
import type { Storage } from "../../storage/storage.js";

const MAX_RECORDS = 10_000;
const MAX_WINDOWS = 64;
const MAX_ROOM_IDS = 100_000;

export class SnapshotCache {
  private key = "";
  private records = new Map<number, EventRecord>();
  private windows = new Map<number, ReadonlySet<number>>();
  private readonly roomIds = new Map<number, string>();

  constructor(private readonly storage: Storage) {}

  /**
   * Start (or continue) the generation of the committed data read now; returns the room stream
   * position it includes (what `RoomStore.currentStreamPosition` reports).
   */
  generation(): number {
    const c = this.storage.store.dbs.meta.get("counters") as StoredCounters | undefined;
    const key = c === undefined ? "0" : `${c.stream}:${c.backfill}:${c.authOrder}`;
    if (key !== this.key) {
      this.key = key;
      this.records = new Map();
      this.windows = new Map();
    }
    return c === undefined ? 0 : c.stream - 1;
  }

  /** The stored event `nid` (call `generation()` first in the same synchronous run). */
  record(nid: number): EventRecord | undefined {
    const hit = this.records.get(nid);
    if (hit !== undefined) return hit;
    const rec = this.storage.events.getEventByNid(nid);
    if (rec !== undefined && this.records.size < MAX_RECORDS) this.records.set(nid, rec);
    return rec;
  }

  /** Rooms with timeline events in (after, pos] (one scan of the global stream). */
  activeRooms(pos: number, after: number): ReadonlySet<number> {
    let hit = this.windows.get(after);
    if (hit === undefined) {
      const out = new Set<number>();
      for (const e of this.storage.rooms.streamSince(after, pos - after, pos)) out.add(e.roomNid);
      hit = out;
      if (this.windows.size < MAX_WINDOWS) this.windows.set(after, hit);
    }
    return hit;
  }

  roomId(roomNid: number): string | undefined {
    let id = this.roomIds.get(roomNid);
    if (id === undefined) {
      id = this.storage.rooms.getRoomByNid(roomNid)?.roomId;
      if (id === undefined) return undefined;
      if (this.roomIds.size >= MAX_ROOM_IDS) this.roomIds.clear();
      this.roomIds.set(roomNid, id);
    }
    return id;
  }
}
