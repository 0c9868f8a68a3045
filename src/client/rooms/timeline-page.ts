/**
 * One page of a room's timeline in topological order (depth, stream ordering), for /messages
 * and /context, with the position arithmetic of src/client/format/tokens.ts:
 *
 *   dir=b from p: events with key ≤ p, newest first; `next` = (oldest scanned) − 1
 *   dir=f from p: events with key > p, oldest first; `next` = (newest scanned)
 *
 * Rows the reader may not see (visibility, filter) are skipped but still advance `next`, so
 * the next page never returns to them. A page scans at most `maxScan` rows: a reader who may
 * see little of a long history gets a short page and a token to continue, never an unbounded
 * scan in one request.
 */
import type { App } from "../../app.js";
import type { EventRecord } from "../../storage/events.js";
import type { Direction, TimelineEntry } from "../../storage/rooms.js";
import { before, type PaginationToken, type Position } from "../format/tokens.js";

export interface PageRequest {
  readonly roomNid: number;
  readonly dir: Direction;
  /** Start position; undefined = the end (b) / the start (f). */
  readonly from: Position | undefined;
  /** Stop position: b stops at keys ≤ to, f at keys > to. */
  readonly to: Position | undefined;
  readonly limit: number;
  readonly accept: (rec: EventRecord) => boolean;
  readonly maxScan?: number;
}

export interface Page {
  readonly events: EventRecord[];
  /** Position after the last scanned row (undefined when nothing was scanned). */
  readonly next: Position | undefined;
  /** The room's timeline has no more rows in this direction. */
  readonly exhausted: boolean;
  /** Stopped at `to`. */
  readonly reachedTo: boolean;
}

const BATCH = 100;

function keyOf(row: TimelineEntry): Position {
  return { depth: row.depth ?? 0, stream: row.streamOrdering };
}

export function readPage(app: App, req: PageRequest): Page {
  const { roomNid, dir, limit, to } = req;
  const maxScan = req.maxScan ?? Math.max(1000, limit * 20);
  const events: EventRecord[] = [];
  if (limit <= 0) return { events, next: req.from, exhausted: false, reachedTo: false };
  // storage.rooms.topological excludes `from`: b reads keys < from, f reads keys > from.
  let cursor: readonly [number, number] | undefined =
    req.from === undefined ? undefined : dir === "b" ? [req.from.depth, req.from.stream + 1] : [req.from.depth, req.from.stream];
  let next: Position | undefined;
  let scanned = 0;
  for (;;) {
    const rows = app.storage.rooms.topological(roomNid, { ...(cursor !== undefined ? { from: cursor } : {}), dir, limit: BATCH });
    for (const row of rows) {
      const key = keyOf(row);
      if (to !== undefined) {
        const c = key.depth - to.depth || key.stream - to.stream;
        if (dir === "b" ? c <= 0 : c > 0) return { events, next, exhausted: false, reachedTo: true };
      }
      cursor = [key.depth, key.stream];
      next = dir === "b" ? before(key) : key;
      scanned++;
      const rec = app.storage.events.getEventByNid(row.nid);
      if (rec && req.accept(rec)) {
        events.push(rec);
        if (events.length >= limit) return { events, next, exhausted: false, reachedTo: false };
      }
      if (scanned >= maxScan) return { events, next, exhausted: false, reachedTo: false };
    }
    if (rows.length < BATCH) return { events, next, exhausted: true, reachedTo: false };
  }
}

/** The point before the room's first event (dir=f without `from`). */
export function startOfTimeline(app: App, roomNid: number): Position {
  const [first] = app.storage.rooms.topological(roomNid, { dir: "f", limit: 1 });
  return first ? before(keyOf(first)) : { depth: 0, stream: 0 };
}

/** The point after the room's newest event (dir=b without `from`). */
export function endOfTimeline(app: App, roomNid: number): Position {
  const [last] = app.storage.rooms.topological(roomNid, { dir: "b", limit: 1 });
  return last ? keyOf(last) : { depth: 0, stream: 0 };
}

/** The key of a timeline event (undefined for events outside the timeline). */
export function positionOf(rec: EventRecord): Position | undefined {
  return rec.streamOrdering === undefined ? undefined : { depth: rec.depth, stream: rec.streamOrdering };
}

/**
 * A token as a position in this room. A /sync stream position becomes (depth of the room's
 * newest timeline event with stream ordering ≤ it, the position): every event the sync had
 * delivered is then at or before it.
 */
export function resolveToken(app: App, roomNid: number, token: PaginationToken): Position {
  if (token.kind === "topological") return token.pos;
  const [row] = app.storage.rooms.timeline(roomNid, { from: token.stream + 1, dir: "b", limit: 1 });
  const rec = row ? app.storage.events.getEventByNid(row.nid) : undefined;
  return { depth: rec ? rec.depth : 0, stream: token.stream };
}
