/**
 * Position counters for the persisted EDU streams (receipts, presence, to_device,
 * device_lists). Positions are allocated inside the write that uses them and the counter is
 * written in that same write, so a position is never handed out twice, even across restarts
 * and after the stream rows that used it were deleted.
 *
 * Writes commit in the order they were queued (src/storage/store.ts), so positions become
 * visible in increasing order; `position` is the highest one whose write has committed, which
 * is what a /sync `next_batch` may safely name.
 */
import type { EduCounterName, EduStreamRow } from "../storage/layouts/ephemeral.js";
import type { Storage } from "../storage/storage.js";
import type { WriteBatch } from "../storage/write-batch.js";

export class StreamCounter {
  private allocated: number;
  private committed: number;

  constructor(
    private readonly storage: Storage,
    readonly name: EduCounterName,
  ) {
    this.allocated = storage.store.dbs.eduCounters.get(name) ?? 0;
    this.committed = this.allocated;
  }

  /** The next position, recorded in `w` (call inside a write function). */
  next(w: WriteBatch): number {
    const pos = ++this.allocated;
    w.put("eduCounters", this.name, pos);
    return pos;
  }

  /** Call once the write holding `pos` has committed. */
  committedUpTo(pos: number): void {
    if (pos > this.committed) this.committed = pos;
  }

  /** The highest committed position (0 before anything was written). */
  get position(): number {
    return this.committed;
  }

  /** Record what changed at `pos` (a row of `edu_streams`). */
  putRow(w: WriteBatch, pos: number, row: EduStreamRow): void {
    w.put("eduStreams", [this.name, pos], row);
  }

  /** Drop the row at `pos` (its entry changed again, at a later position). */
  removeRow(w: WriteBatch, pos: number): void {
    w.remove("eduStreams", [this.name, pos]);
  }

  /** Committed rows with `after < pos ≤ position`, oldest first. */
  *rows(after: number, limit: number): Generator<{ pos: number; row: EduStreamRow }> {
    const range = { start: [this.name, after], end: [this.name, this.committed], exclusiveStart: true, inclusiveEnd: true, limit };
    for (const { key, value } of this.storage.store.dbs.eduStreams.getRange(range)) yield { pos: key[1], row: value };
  }
}
