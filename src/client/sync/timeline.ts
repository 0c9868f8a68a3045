/**
 * A room's `timeline` section (definitions/timeline_batch.yaml; client-server-api "Syncing"):
 * the most recent events of the window, oldest first, at most `limit` of them after the
 * timeline filter and history visibility, with `limited` set when the window held more and
 * `prev_batch` pointing just before the first one returned (a /messages `from` token:
 * src/client/format/tokens.ts).
 *
 * Events are read newest first from the room's stream index (`room_stream`: accepted events
 * only, so rejected and soft-failed events never reach clients). The window is
 * (`after`, `upTo`]: `after` is the `since` position (undefined: the room's whole history, for
 * initial syncs and newly joined rooms), `upTo` the `to` position, or the viewer's leave event
 * for a room they left.
 */
import type { EventRecord } from "../../storage/events.js";
import { UserVisibility } from "../../rooms/visibility/user-visibility.js";
import { matchesRoomEventFilter, passesEverything } from "../format/room-event-filter.js";
import { positionToken } from "../format/tokens.js";
import type { SyncRun } from "./run.js";

/** Index entries looked at per returned event before giving up and calling the slice limited. */
const SCAN_PER_EVENT = 20;
const SCAN_MIN = 200;

export interface TimelineSlice {
  /** Oldest first. */
  readonly records: EventRecord[];
  readonly limited: boolean;
  readonly prevBatch: string;
  /** Every event of the window is in `records` (none filtered out or hidden). */
  readonly complete: boolean;
}

export interface TimelineWindow {
  readonly roomNid: number;
  readonly roomId: string;
  /** Exclusive lower bound (stream position); undefined: from the start of the room. */
  readonly after: number | undefined;
  /** Inclusive upper bound. */
  readonly upTo: number;
  /**
   * Stream ordering of the viewer's current join, when they are joined: every event from it on
   * is visible to them, which spares the history-visibility lookups on the hot path.
   */
  readonly joinedFrom: number | undefined;
}

export function readTimeline(run: SyncRun, w: TimelineWindow): TimelineSlice {
  const limit = run.filter.room.timelineLimit;
  const filter = run.filter.room.timeline;
  const open = passesEverything(filter);
  const db = run.storage.store.dbs.roomStream;
  let visibility: UserVisibility | undefined;

  const picked: EventRecord[] = [];
  let limited = false;
  let complete = true;
  let budget = Math.max(SCAN_MIN, (limit + 1) * SCAN_PER_EVENT);
  const range = {
    start: [w.roomNid, w.upTo],
    end: w.after === undefined ? [w.roomNid] : [w.roomNid, w.after],
    reverse: true,
  };
  for (const { key, value: nid } of db.getRange(range)) {
    if (budget-- <= 0) {
      limited = true;
      break;
    }
    if (key.length !== 2) continue;
    const rec = run.record(nid);
    if (rec === undefined) continue;
    if (!open) {
      const pdu = rec.pdu;
      if (!matchesRoomEventFilter(filter, { type: pdu.type, sender: pdu.sender, roomId: w.roomId, content: pdu.content })) {
        complete = false;
        continue;
      }
    }
    const ordering = key[1];
    if (w.joinedFrom === undefined || ordering < w.joinedFrom) {
      visibility ??= new UserVisibility(run.ctx.app.rooms, w.roomNid, run.userId);
      if (!visibility.maySee(rec)) {
        complete = false;
        continue;
      }
    }
    if (picked.length === limit) {
      limited = true;
      break;
    }
    picked.push(rec);
  }
  picked.reverse();
  const first = picked[0];
  const prevBatch = positionToken(first?.streamOrdering !== undefined ? first.streamOrdering - 1 : w.upTo);
  return { records: picked, limited, prevBatch, complete };
}
