/**
 * An index of timeline events by `origin_server_ts` per room, for `/timestamp_to_event`
 * (federation and client API): "the closest event to the given timestamp, in the direction".
 *
 * The index is derived, never written by the room actors: it follows the global `stream`
 * sub-database (every accepted timeline event, in commit order) and remembers how far it got
 * (`directory_meta.ts_index_pos`), updating both in one write, so a crash loses nothing and
 * nothing is indexed twice. It catches up before every query, and a few seconds after commits
 * (`schedule`, coalesced, so busy rooms cost one extra write per interval, not per event). Backfilled events (negative stream orderings, not in the global stream) are not
 * indexed: they are history another server already holds.
 */
import type { Storage } from "../../storage/storage.js";

const BATCH = 2000;
/** How long `schedule` waits, gathering commits into one catch-up. */
const SCHEDULE_DELAY_MS = 5_000;
const MARK_KEY = "ts_index_pos";

export type TimestampDirection = "f" | "b";

export class TimestampIndex {
  private running: Promise<void> | undefined;
  private again = false;
  private scheduled = false;

  constructor(private readonly storage: Storage) {}

  /** Bring the index up to the committed stream. Concurrent callers share one run. */
  catchUp(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while (await this.step()) {
            // keep going while a full batch was indexed
          }
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Catch up soon (coalesced); for commit listeners. Errors are left to the next query. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      this.catchUp().catch(() => undefined);
    }, SCHEDULE_DELAY_MS).unref();
  }

  /**
   * The nid of the event closest to `ts`: the earliest at or after it (`f`) or the latest at or
   * before it (`b`). Ties on the timestamp go to the earlier (`f`) / later (`b`) stream position.
   */
  async closest(roomNid: number, ts: number, dir: TimestampDirection): Promise<number | undefined> {
    await this.catchUp();
    const db = this.storage.store.dbs.eventTimestamps;
    const range =
      dir === "f"
        ? { start: [roomNid, ts], end: [roomNid + 1], limit: 1 }
        : { start: [roomNid, ts + 1], end: [roomNid], reverse: true, limit: 1 };
    for (const { value } of db.getRange(range)) return value;
    return undefined;
  }

  private async step(): Promise<boolean> {
    if (this.storage.store.isClosed) return false;
    const mark = this.storage.store.dbs.directoryMeta.get(MARK_KEY) ?? 0;
    const entries = this.storage.rooms.streamSince(mark, BATCH);
    if (entries.length === 0) return false;
    const rows: [number, number, number, number][] = [];
    for (const e of entries) {
      const ts = this.storage.events.getEventByNid(e.nid)?.pdu.origin_server_ts;
      if (typeof ts === "number" && Number.isSafeInteger(ts)) rows.push([e.roomNid, ts, e.pos, e.nid]);
    }
    const last = entries[entries.length - 1]!.pos;
    await this.storage.write((w) => {
      for (const [roomNid, ts, pos, nid] of rows) w.put("eventTimestamps", [roomNid, ts, pos], nid);
      w.put("directoryMeta", MARK_KEY, last);
    });
    return entries.length === BATCH;
  }
}

const indexes = new WeakMap<Storage, TimestampIndex>();

/** The one index of a storage (shared by the federation and client endpoints). */
export function timestampIndexFor(storage: Storage): TimestampIndex {
  let idx = indexes.get(storage);
  if (idx === undefined) indexes.set(storage, (idx = new TimestampIndex(storage)));
  return idx;
}
