/**
 * Pagination tokens of the room timeline (message_pagination.yaml `from`/`to`/`start`/`end`,
 * event_context.yaml `start`/`end`, /members `at`).
 *
 * History is served in topological order: by (depth, stream ordering), the `roomTopo` index.
 * Stream order alone would misplace history: events fetched by backfill arrive long after the
 * events they precede, and late events of a fork belong where their depth puts them.
 *
 * A position is a point BETWEEN events: `{depth: d, stream: s}` means "after every event whose
 * key (depth, stream ordering) is ≤ (d, s)". Keys are integer pairs, so the point just before
 * an event with key (d, s) is (d, s − 1):
 *
 *   dir=b from p → events with key ≤ p, newest first; the next `end` is (oldest seen) − 1
 *   dir=f from p → events with key > p, oldest first;  the next `end` is (newest seen)
 *
 * Our tokens are `t<depth>_<stream>` (e.g. `t12_345`, `t3_-7`). /messages "can also accept" a
 * token from /sync: `s<stream position>`, alone (a `prev_batch`, `positionToken(n)`) or followed
 * by `_` and the positions of other streams (a `next_batch`, src/client/sync/token.ts), is a
 * point in the global stream ("after every event with stream ordering ≤ n"), which
 * timeline-page.ts turns into a position: (depth of the room's newest event at or before it,
 * that stream position).
 */
import { Errors } from "../../errors.js";

export interface Position {
  readonly depth: number;
  readonly stream: number;
}

export type PaginationToken = { readonly kind: "topological"; readonly pos: Position } | { readonly kind: "stream"; readonly stream: number };

const TOPOLOGICAL = /^t(\d{1,19})_(-?\d{1,16})$/;
const STREAM = /^s(-?\d{1,16})(?:_.*)?$/;

/** A topological position, or a stream position (what /sync's `prev_batch` names). */
export function positionToken(pos: Position | number): string {
  return typeof pos === "number" ? `s${pos}` : `t${pos.depth}_${pos.stream}`;
}

/** Parse a token; 400 M_INVALID_PARAM when it is not one we issue or accept. */
export function parsePaginationToken(token: string, param = "from"): PaginationToken {
  const t = TOPOLOGICAL.exec(token);
  if (t) {
    const pos = { depth: Number(t[1]), stream: Number(t[2]) };
    if (Number.isFinite(pos.depth) && Number.isSafeInteger(pos.stream)) return { kind: "topological", pos };
  }
  const s = STREAM.exec(token);
  if (s && Number.isSafeInteger(Number(s[1]))) return { kind: "stream", stream: Number(s[1]) };
  throw Errors.invalidParam(`Invalid pagination token in '${param}'`);
}

/** The stream position a token names (a topological token: its stream part). */
export function parsePositionToken(token: string, param = "from"): number {
  const t = parsePaginationToken(token, param);
  return t.kind === "stream" ? t.stream : t.pos.stream;
}

export function comparePositions(a: Position, b: Position): number {
  return a.depth - b.depth || a.stream - b.stream;
}

/** The point just before the event with this key. */
export function before(key: Position): Position {
  return { depth: key.depth, stream: key.stream - 1 };
}

export function minPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) <= 0 ? a : b;
}
