/**
 * Receipts (server-server-api.md "Receipts"; client-server "Receipts"): the latest receipt per
 * (room, receipt type, user, thread), persisted in LMDB. An update replaces only the entries it
 * names ("Receipts previously received that do not appear in the EDU should not be removed or
 * otherwise manipulated", m.receipt EDU schema).
 *
 * Stream: each changed entry gets a new position on the `receipts` stream and its previous
 * stream row is deleted, so `since(pos)` is one range scan returning each entry once, at its
 * latest state.
 */
import type { JsonObject } from "../events/types.js";
import { boundedKeyString, prefixRange } from "../storage/keys.js";
import type { ReceiptKey, StoredReceipt } from "../storage/layouts/ephemeral.js";
import type { Storage } from "../storage/storage.js";
import type { EduNotifier } from "./notifier.js";
import { StreamCounter } from "./stream-counter.js";

export interface ReceiptUpdate {
  readonly roomId: string;
  readonly receiptType: string;
  readonly userId: string;
  /** The event(s) read up to (the m.receipt schema: exactly one). */
  readonly eventIds: readonly string[];
  /** The receipt's `data` as sent: `ts`, optional `thread_id`. */
  readonly data: JsonObject;
}

export interface ReceiptEntry extends ReceiptUpdate {
  readonly pos: number;
  /** `data.thread_id`, or undefined for an unthreaded receipt. */
  readonly threadId: string | undefined;
}

export class ReceiptStore {
  private readonly counter: StreamCounter;

  constructor(
    private readonly storage: Storage,
    private readonly notifier: EduNotifier,
  ) {
    this.counter = new StreamCounter(storage, "receipts");
  }

  get position(): number {
    return this.counter.position;
  }

  /** Apply updates in one durable write; unchanged entries are left alone. Returns how many changed. */
  async put(updates: readonly ReceiptUpdate[]): Promise<number> {
    const changedRooms = new Map<string, number>();
    let last = 0;
    let changed = 0;
    await this.storage.write((w) => {
      for (const u of updates) {
        const threadId = typeof u.data.thread_id === "string" ? u.data.thread_id : undefined;
        const key = receiptKey(u.roomId, u.receiptType, u.userId, threadId);
        const dataJson = JSON.stringify(u.data);
        const prev = w.read("receipts", key);
        if (prev && prev[2] === dataJson && sameIds(prev[1], u.eventIds)) continue;
        const pos = this.counter.next(w);
        if (prev) this.counter.removeRow(w, prev[0]);
        const stored: StoredReceipt = [pos, [...u.eventIds], dataJson, u.receiptType, threadId ?? null];
        w.put("receipts", key, stored);
        this.counter.putRow(w, pos, key);
        changedRooms.set(u.roomId, pos);
        last = pos;
        changed++;
      }
    });
    if (last > 0) this.counter.committedUpTo(last);
    for (const [roomId, pos] of changedRooms) this.notifier.emit({ stream: "receipts", pos, roomId });
    return changed;
  }

  /** Entries changed after `pos` (up to `limit`), oldest first, each at its latest state. */
  since(pos: number, limit = 1000): { position: number; entries: ReceiptEntry[] } {
    const upTo = this.counter.position;
    const entries: ReceiptEntry[] = [];
    for (const { row } of this.counter.rows(pos, limit)) {
      const key = row as ReceiptKey;
      const stored = this.storage.store.dbs.receipts.get(key);
      if (stored) entries.push(toEntry(key, stored));
    }
    return { position: upTo, entries };
  }

  /** Every receipt in a room (initial /sync). */
  forRoom(roomId: string): ReceiptEntry[] {
    const out: ReceiptEntry[] = [];
    for (const { key, value } of this.storage.store.dbs.receipts.getRange(prefixRange([roomId]))) {
      if (key.length === 4) out.push(toEntry(key, value));
    }
    return out;
  }

  get(roomId: string, receiptType: string, userId: string, threadId?: string): ReceiptEntry | undefined {
    const key = receiptKey(roomId, receiptType, userId, threadId);
    const stored = this.storage.store.dbs.receipts.get(key);
    return stored ? toEntry(key, stored) : undefined;
  }
}

/**
 * Entries as the content of a client-server `m.receipt` event:
 * `{event_id: {receipt_type: {user_id: data}}}`.
 */
export function receiptEventContent(entries: readonly ReceiptEntry[]): JsonObject {
  const content: Record<string, Record<string, Record<string, JsonObject>>> = {};
  for (const e of entries) {
    for (const eventId of e.eventIds) {
      const byType = (content[eventId] ??= {});
      (byType[e.receiptType] ??= {})[e.userId] = e.data;
    }
  }
  return content as JsonObject;
}

function receiptKey(roomId: string, receiptType: string, userId: string, threadId: string | undefined): ReceiptKey {
  return [roomId, boundedKeyString(receiptType), userId, threadId === undefined ? "" : boundedKeyString(`t${threadId}`)];
}

function toEntry(key: ReceiptKey, s: StoredReceipt): ReceiptEntry {
  return {
    pos: s[0],
    roomId: key[0],
    receiptType: s[3],
    userId: key[2],
    eventIds: s[1],
    data: JSON.parse(s[2]) as JsonObject,
    threadId: s[4] ?? undefined,
  };
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
