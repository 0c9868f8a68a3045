/**
 * Stored events as `RoomEvent`s for the rules (auth, state resolution), with a bounded cache of
 * parsed events: auth checks touch the same few events (create, power levels, join rules,
 * members) over and over, and parsing a PDU costs more than the rule itself.
 *
 * Reads take a `ReadView`: inside a room actor's write that is the write batch, so events
 * persisted earlier in the same batch are visible; elsewhere the committed snapshot.
 */
import { toRoomEvent } from "../events/event.js";
import { getRoomVersion, type RoomVersion } from "../events/room-versions.js";
import type { RoomEvent } from "../events/types.js";
import { ByteCache } from "../storage/byte-cache.js";
import type { EventRecord, EventStatus } from "../storage/events.js";
import type { Storage } from "../storage/storage.js";
import type { ReadView } from "../storage/write-batch.js";

export class EventLoader {
  /** Statuses that can no longer change (everything but "outlier"), by nid. */
  private readonly statuses: ByteCache<number, EventStatus>;
  /** authOrder by nid: fixed when an event is first stored (see persist-events.ts). */
  private readonly authOrders: ByteCache<number, number>;
  /** Parsed events by nid; count-bounded (every entry weighs 1). */
  private readonly cache: ByteCache<number, RoomEvent>;
  /** Room facts that never change, by room nid: version and room ID. */
  private readonly rooms = new Map<number, { version: RoomVersion; roomId: string }>();

  constructor(
    private readonly storage: Storage,
    maxCached = 100_000,
  ) {
    this.cache = new ByteCache(maxCached);
    this.statuses = new ByteCache(maxCached * 4);
    this.authOrders = new ByteCache(maxCached * 4);
  }

  /** The event's authOrder (undefined when not held); never changes once stored, so cached. */
  authOrderOf(nid: number, view?: ReadView): number | undefined {
    const hit = this.authOrders.get(nid);
    if (hit !== undefined) return hit;
    const order = this.storage.events.getEventByNid(nid, view)?.authOrder;
    if (order !== undefined) this.authOrders.set(nid, order, 1);
    return order;
  }

  /**
   * The event's status, or undefined when it is not held. Once an event is stored with a
   * status other than "outlier" that status is final (accepted, soft-failed and rejected events
   * are never re-processed), so those are cached; outliers are read every time.
   */
  statusOf(nid: number, view?: ReadView): EventStatus | undefined {
    const hit = this.statuses.get(nid);
    if (hit !== undefined) return hit;
    const status = this.storage.events.getEventByNid(nid, view)?.status;
    if (status !== undefined && status !== "outlier") this.statuses.set(nid, status, 1);
    return status;
  }

  record(eventId: string, view?: ReadView): EventRecord | undefined {
    return this.storage.events.getEvent(eventId, view);
  }

  recordByNid(nid: number, view?: ReadView): EventRecord | undefined {
    return this.storage.events.getEventByNid(nid, view);
  }

  byId(eventId: string, view?: ReadView): RoomEvent | undefined {
    const nid = this.storage.events.nidOf(eventId, view);
    return nid === undefined ? undefined : this.byNid(nid, view);
  }

  byNid(nid: number, view?: ReadView): RoomEvent | undefined {
    const hit = this.cache.get(nid);
    if (hit !== undefined) return hit;
    const rec = this.storage.events.getEventByNid(nid, view);
    if (rec === undefined) return undefined;
    const ev = this.fromRecord(rec, view);
    this.remember(nid, ev);
    return ev;
  }

  fromRecord(rec: EventRecord, view?: ReadView): RoomEvent {
    const room = this.room(rec.roomNid, view);
    return toRoomEvent(rec.pdu, room.version, rec.eventId, room.roomId);
  }

  /** Make a just-persisted event available without a re-parse. */
  remember(nid: number, ev: RoomEvent): void {
    this.cache.set(nid, ev, 1);
  }

  /** Drop a cached event whose stored PDU changed (redaction applied). */
  forget(nid: number): void {
    this.cache.delete(nid);
  }

  roomVersion(roomNid: number, view?: ReadView): RoomVersion {
    return this.room(roomNid, view).version;
  }

  private room(roomNid: number, view?: ReadView): { version: RoomVersion; roomId: string } {
    let r = this.rooms.get(roomNid);
    if (r === undefined) {
      const room = this.storage.rooms.getRoomByNid(roomNid, view);
      if (room === undefined) throw new Error(`unknown room nid ${roomNid}`);
      const version = getRoomVersion(room.version);
      if (version === undefined) throw new Error(`room ${room.roomId} has unsupported version ${room.version}`);
      this.rooms.set(roomNid, (r = { version, roomId: room.roomId }));
    }
    return r;
  }
}
