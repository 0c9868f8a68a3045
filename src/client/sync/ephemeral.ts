/**
 * Joined rooms' `ephemeral` sections (sync.yaml: "typing notification and read receipt events"):
 *
 * - `m.typing` {user_ids}: the whole set of users typing now ("clients MUST use the user ID list
 *   to REPLACE their knowledge"), for rooms whose set changed since `since` (an empty list
 *   tells the client everyone stopped); full sections carry it when someone is typing.
 * - `m.receipt`: the receipts changed since `since`, batched into one event per room ("For
 *   efficiency, receipts SHOULD be batched into one event per room"); full sections carry every
 *   receipt of the room. `m.read.private` receipts go to their owner only ("Servers MUST NOT
 *   send the m.read.private receipt to any other user than the one which originally sent it").
 *
 * Both are read once per sync for all rooms (one range scan / one map walk), then handed out
 * per room.
 */
import { receiptEventContent, type ReceiptEntry } from "../../edu/index.js";
import type { JsonObject } from "../../events/types.js";
import { matchesRoomEventFilter } from "../format/room-event-filter.js";
import type { SyncRun } from "./run.js";

const PRIVATE_RECEIPT = "m.read.private";
/** Receipt changes read per sync; the rest come with the next one (next_batch stops here). */
const RECEIPT_BATCH = 5000;

export class EphemeralChanges {
  private readonly typing = new Map<string, string[]>();
  private readonly receipts = new Map<string, ReceiptEntry[]>();

  constructor(private readonly run: SyncRun) {
    const since = run.since;
    if (since === undefined) return;
    const edu = run.ctx.edu;
    if (since.typing < run.to.typing) {
      for (const change of edu.typing.since(since.typing).rooms) this.typing.set(change.roomId, change.userIds);
    }
    if (since.receipts < run.to.receipts) {
      const { entries } = edu.receipts.since(since.receipts, RECEIPT_BATCH);
      for (const e of entries) {
        if (e.pos > run.to.receipts) break;
        if (!this.visible(e)) continue;
        let list = this.receipts.get(e.roomId);
        if (list === undefined) this.receipts.set(e.roomId, (list = []));
        list.push(e);
      }
      const last = entries[entries.length - 1];
      if (entries.length === RECEIPT_BATCH && last !== undefined) run.next.receipts = Math.min(run.next.receipts, last.pos);
    }
  }

  /** Rooms with typing or receipt changes in the window. */
  roomIds(): Iterable<string> {
    return new Set([...this.typing.keys(), ...this.receipts.keys()]);
  }

  /** The ephemeral events of a joined room; `full` for initial syncs and newly joined rooms. */
  eventsFor(roomId: string, full: boolean): JsonObject[] {
    const filter = this.run.filter.room.ephemeral;
    const out: JsonObject[] = [];
    const edu = this.run.ctx.edu;
    const typers = full ? edu.typing.usersIn(roomId) : this.typing.get(roomId);
    if (typers !== undefined && (!full || typers.length > 0) && matchesRoomEventFilter(filter, { type: "m.typing", roomId })) {
      out.push({ type: "m.typing", content: { user_ids: typers } });
    }
    const receipts = full ? edu.receipts.forRoom(roomId).filter((e) => this.visible(e)) : this.receipts.get(roomId);
    if (receipts !== undefined && receipts.length > 0 && matchesRoomEventFilter(filter, { type: "m.receipt", roomId })) {
      out.push({ type: "m.receipt", content: receiptEventContent(receipts) });
    }
    return out;
  }

  private visible(e: ReceiptEntry): boolean {
    return e.receiptType !== PRIVATE_RECEIPT || e.userId === this.run.userId;
  }
}
