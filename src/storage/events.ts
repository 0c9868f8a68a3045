/**
 * Event records: interned IDs (event ID ↔ nid), the PDU, its status and the state around it.
 *
 * Status (server-server-api.md "Checks performed on receipt of a PDU"):
 * - `accepted`: passed every check; part of the timeline (gets a stream ordering).
 * - `soft_failed`: passed auth against its own state but not the current state ("Soft
 *   failure"): stored and served over federation (`/event`), takes part in state resolution,
 *   never sent to clients, never a forward extremity; no stream ordering.
 * - `rejected`: failed auth against its auth events or the state before it ("Rejection"):
 *   kept (other events may reference it) but never relayed to clients, never a prev event,
 *   and it does not change state: its state after is its state before.
 * - `outlier`: held without knowing the state before it (an auth event or a `/state` answer
 *   fetched out of band); `stateBefore` is null and it has no place in the DAG indexes until it
 *   is persisted again with its state ("de-outliered").
 *
 * The stored PDU is the federation form as received, or its redacted copy once a redaction
 * applies (`markRedacted`), as JSON text (layout.ts explains why text).
 */
import type { JsonObject, Pdu } from "../events/types.js";
import { prefixRange } from "./keys.js";
import type { EventStatusCode, StoredEvent } from "./layout.js";
import type { NodeId } from "./state-node.js";
import type { Store } from "./store.js";
import type { ReadView, WriteBatch } from "./write-batch.js";

export type EventStatus = "accepted" | "soft_failed" | "rejected" | "outlier";

const STATUS_BY_CODE: readonly EventStatus[] = ["accepted", "soft_failed", "rejected", "outlier"];

export function statusCode(status: EventStatus): EventStatusCode {
  const code = STATUS_BY_CODE.indexOf(status);
  if (code < 0) throw new TypeError(`storage: unknown event status ${String(status)}`);
  return code as EventStatusCode;
}

/** A stored event. The PDU is parsed on first access to `pdu`. */
export class EventRecord {
  readonly eventId: string;
  readonly roomNid: number;
  /** Every event's auth events have a smaller `authOrder` (the persist sequence). */
  readonly authOrder: number;
  readonly depth: number;
  readonly status: EventStatus;
  readonly rejectReason: string | undefined;
  /** Root of the state before the event; `null` for outliers (and events rejected unseen). */
  readonly stateBefore: NodeId | null;
  /** Root of the state after the event: differs from `stateBefore` only for state events. */
  readonly stateAfter: NodeId | null;
  /** Position in the room timeline (accepted non-outliers only; negative when backfilled). */
  readonly streamOrdering: number | undefined;
  /** The nid of the redaction applied to this event, if any. */
  readonly redactedBy: number | undefined;
  private bytes: Buffer | undefined;
  private json: string | undefined;
  private parsed: Pdu | undefined;

  constructor(
    readonly nid: number,
    stored: StoredEvent,
    /** Where the PDU text is read from, when first needed (the view the record came from). */
    private readonly view: ReadView,
  ) {
    this.eventId = stored[0];
    this.roomNid = stored[1];
    this.authOrder = stored[2];
    this.depth = stored[3];
    this.status = STATUS_BY_CODE[stored[4]]!;
    this.stateBefore = stored[5];
    this.stateAfter = stored[6] ?? stored[5];
    this.streamOrdering = stored[7] ?? undefined;
    this.rejectReason = stored[8] ?? undefined;
    this.redactedBy = stored[9] ?? undefined;
  }

  /**
   * The PDU as UTF-8 JSON bytes, exactly as stored (read on first use): big federation answers
   * (send_join state, backfill) concatenate these without ever making JavaScript strings.
   */
  get pduBytes(): Buffer {
    if (this.bytes === undefined) {
      const bytes = this.view.read("eventJson", this.nid);
      if (bytes === undefined) throw new Error(`storage: event nid ${this.nid} has no stored PDU`);
      this.bytes = bytes;
    }
    return this.bytes;
  }

  /** The PDU as JSON text. */
  get pduJson(): string {
    return (this.json ??= this.pduBytes.toString("utf8"));
  }

  get pdu(): Pdu {
    return (this.parsed ??= JSON.parse(this.pduJson) as Pdu);
  }
}

export class EventStore {
  constructor(private readonly store: Store) {}

  // ---- interning -------------------------------------------------------------------------

  /** The nid of `eventId`, allocating one if the ID was never seen. */
  intern(w: WriteBatch, eventId: string): number {
    return this.internFlagged(w, eventId)[0];
  }

  /** `intern`, also telling whether the nid was allocated just now (so no record can exist). */
  internFlagged(w: WriteBatch, eventId: string): [nid: number, fresh: boolean] {
    const known = w.read("eventNids", eventId);
    if (known !== undefined) return [known, false];
    const nid = w.next("eventNid");
    w.put("eventNids", eventId, nid);
    w.put("eventIds", nid, eventId);
    return [nid, true];
  }

  nidOf(eventId: string, view: ReadView = this.store.committed): number | undefined {
    return view.read("eventNids", eventId);
  }

  eventIdOf(nid: number, view: ReadView = this.store.committed): string | undefined {
    return view.read("eventIds", nid);
  }

  /** Event IDs of interned nids, in order. Throws on a nid that was never allocated. */
  eventIdsOf(nids: Iterable<number>, view: ReadView = this.store.committed): string[] {
    const out: string[] = [];
    for (const nid of nids) {
      const id = view.read("eventIds", nid);
      if (id === undefined) throw new Error(`storage: unknown event nid ${nid}`);
      out.push(id);
    }
    return out;
  }

  // ---- records ---------------------------------------------------------------------------

  getEvent(eventId: string, view: ReadView = this.store.committed): EventRecord | undefined {
    const nid = view.read("eventNids", eventId);
    return nid === undefined ? undefined : this.getEventByNid(nid, view);
  }

  getEventByNid(nid: number, view: ReadView = this.store.committed): EventRecord | undefined {
    const stored = view.read("events", nid);
    return stored === undefined ? undefined : new EventRecord(nid, stored, view);
  }

  /** Records for several IDs, `undefined` where this server holds no such event. */
  getEvents(eventIds: readonly string[], view: ReadView = this.store.committed): (EventRecord | undefined)[] {
    return eventIds.map((id) => this.getEvent(id, view));
  }

  /** Whether the event itself is held (an ID that is only referenced does not count). */
  hasEvent(eventId: string, view: ReadView = this.store.committed): boolean {
    const nid = view.read("eventNids", eventId);
    if (nid === undefined) return false;
    return view === this.store.committed ? this.store.dbs.events.doesExist(nid) : view.read("events", nid) !== undefined;
  }

  getPdu(eventId: string, view: ReadView = this.store.committed): Pdu | undefined {
    return this.getEvent(eventId, view)?.pdu;
  }

  getPduJson(eventId: string, view: ReadView = this.store.committed): string | undefined {
    return this.getEvent(eventId, view)?.pduJson;
  }

  // ---- graph indexes (committed reads) ------------------------------------------------------

  /** Nids of the non-outlier events that list `nid` in their prev_events. */
  childrenOf(nid: number): number[] {
    const out: number[] = [];
    for (const key of this.store.dbs.eventEdges.getKeys(prefixRange([nid]))) out.push(key[1]);
    return out;
  }

  /** Nids of the (non-rejected) redaction events that target `nid`. */
  redactionsOf(nid: number): number[] {
    const out: number[] = [];
    for (const key of this.store.dbs.redactions.getKeys(prefixRange([nid]))) out.push(key[1]);
    return out;
  }

  // ---- writes ----------------------------------------------------------------------------

  /**
   * Replaces the stored PDU with its redacted copy (src/events/redaction.ts builds it; which
   * redactions apply is the room actor's call: rooms/v3.md "Handling redactions") and records
   * which redaction did it.
   */
  markRedacted(w: WriteBatch, nid: number, redactedBy: number, redactedPdu: JsonObject | string): void {
    const stored = w.read("events", nid);
    if (stored === undefined) throw new Error(`storage: cannot redact unknown event nid ${nid}`);
    const next = stored.slice() as StoredEvent;
    next[9] = redactedBy;
    w.put("events", nid, next);
    w.put("eventJson", nid, Buffer.from(typeof redactedPdu === "string" ? redactedPdu : JSON.stringify(redactedPdu), "utf8"));
  }

  /** @internal persist-events.ts writes records through here; `pduJson` only when it changes. */
  putRecord(w: WriteBatch, nid: number, stored: StoredEvent, pduJson: string | undefined): void {
    w.put("events", nid, stored);
    if (pduJson !== undefined) w.put("eventJson", nid, Buffer.from(pduJson, "utf8"));
  }
}
