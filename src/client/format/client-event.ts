/**
 * Federation form → client form (client-server-api "Room event format";
 * data/api/client-server/definitions/client_event.yaml, client_event_without_room_id.yaml).
 *
 * Clients get `event_id`, `type`, `sender`, `origin_server_ts`, `content`, `state_key` (state
 * events only), `room_id` (unless the caller leaves it out, e.g. /sync), and `unsigned`.
 * Federation fields never leak: no `hashes`, `signatures`, `auth_events`, `prev_events`,
 * `depth`, `origin`, `prev_state`, top-level `membership`, and none of the sending server's
 * `unsigned` (it is ours to compute, and over federation it carries things like
 * `invite_room_state` that clients must only see pruned).
 *
 * `unsigned`:
 * - `age`: now − origin_server_ts;
 * - `transaction_id`: only "if the client being given the event is the same one which sent it"
 *   (the viewer's device; transactions.ts);
 * - `redacted_because`: the redaction, itself in client form ("Servers should include a copy of
 *   the m.room.redaction event under unsigned as redacted_because");
 * - `prev_content` and `replaces_state` (1.19) for state events that replaced one;
 * - `membership` (1.11): the viewer's membership in the state after the event ("including any
 *   changes caused by the event"), `leave` when they have none.
 *
 * Redactions: before v11 `redacts` is a top-level PDU key; from v11 it lives in `content`. The
 * client form carries it at the top level in every version (v11+ too: clients written for the
 * older format read it there) and leaves `content` as it is.
 */
import type { App } from "../../app.js";
import { redactsOf } from "../../events/event.js";
import type { RoomVersion } from "../../events/room-versions.js";
import { stateKey, type JsonObject, type Pdu } from "../../events/types.js";
import { MEMBER } from "../../rooms/auth/types.js";
import type { EventRecord } from "../../storage/events.js";
import type { NodeId } from "../../storage/state-node.js";
import { clientTxnsOf, type ClientTxns } from "../rooms/transactions.js";

export interface ClientEventViewer {
  readonly userId: string;
  /** The requesting device: gets `unsigned.transaction_id` on its own events. */
  readonly deviceId?: string;
}

export interface ClientEventOptions {
  readonly viewer?: ClientEventViewer;
  /** Leave `room_id` out (`ClientEventWithoutRoomID`, /sync). Default false. */
  readonly omitRoomId?: boolean;
  /** Fill `unsigned.membership` for the viewer. Default true when there is a viewer. */
  readonly membership?: boolean;
  /** Clock for `unsigned.age` (tests). */
  readonly now?: number;
}

export type ClientEvent = JsonObject;

/**
 * Formats stored events for one response. Room IDs and versions are looked up once per room;
 * make one per request.
 */
export class ClientEventFormatter {
  private readonly txns: ClientTxns;
  private readonly now: number;
  private readonly rooms = new Map<number, { roomId: string; version: RoomVersion }>();

  constructor(
    private readonly app: App,
    private readonly opts: ClientEventOptions = {},
  ) {
    this.txns = clientTxnsOf(app);
    this.now = opts.now ?? Date.now();
  }

  formatMany(recs: readonly EventRecord[]): ClientEvent[] {
    return recs.map((r) => this.format(r));
  }

  format(rec: EventRecord): ClientEvent {
    const out = this.base(rec);
    const unsigned = out.unsigned as JsonObject;
    const viewer = this.opts.viewer;
    if (viewer && rec.pdu.sender === viewer.userId) {
      const txnId = this.txns.transactionIdFor(rec.eventId, viewer.userId, viewer.deviceId);
      if (txnId !== undefined) unsigned.transaction_id = txnId;
    }
    if (rec.redactedBy !== undefined) {
      const because = this.app.storage.events.getEventByNid(rec.redactedBy);
      if (because) unsigned.redacted_because = this.base(because);
    }
    if (rec.pdu.state_key !== undefined && rec.stateBefore !== null) this.addPrevious(rec, unsigned);
    if (viewer && (this.opts.membership ?? true) && rec.stateAfter !== null) {
      unsigned.membership = membershipAt(this.app, rec.stateAfter, viewer.userId);
    }
    return out;
  }

  /** The fields every client event has, with `unsigned.age`. */
  private base(rec: EventRecord): ClientEvent {
    const pdu = rec.pdu;
    const room = this.room(rec.roomNid);
    const out = clientEventFields(rec.eventId, pdu);
    if (!this.opts.omitRoomId && room) out.room_id = room.roomId;
    if (room && pdu.type === "m.room.redaction") {
      const redacts = redactsOf(pdu, room.version);
      if (redacts !== undefined) out.redacts = redacts;
    }
    out.unsigned = { age: ageAt(pdu, this.now) };
    return out;
  }

  private addPrevious(rec: EventRecord, unsigned: JsonObject): void {
    const pdu = rec.pdu;
    const prevNid = this.app.storage.state.get(rec.stateBefore!, stateKey(pdu.type, pdu.state_key!));
    if (prevNid === undefined || prevNid === rec.nid) return;
    const prev = this.app.storage.events.getEventByNid(prevNid);
    if (!prev) return;
    unsigned.replaces_state = prev.eventId;
    unsigned.prev_content = prev.pdu.content;
  }

  private room(roomNid: number): { roomId: string; version: RoomVersion } | undefined {
    let r = this.rooms.get(roomNid);
    if (r === undefined) {
      const rec = this.app.storage.rooms.getRoomByNid(roomNid);
      if (rec === undefined) return undefined;
      r = { roomId: rec.roomId, version: this.app.rooms.loader.roomVersion(roomNid) };
      this.rooms.set(roomNid, r);
    }
    return r;
  }
}

/** `userId`'s membership in the state at `root`; `leave` when they have none. */
export function membershipAt(app: App, root: NodeId, userId: string): string {
  const nid = app.storage.state.get(root, stateKey(MEMBER, userId));
  const m = nid === undefined ? undefined : app.rooms.loader.byNid(nid)?.content["membership"];
  return typeof m === "string" ? m : "leave";
}

/**
 * The fields of the client form taken straight from the PDU (no room lookups, no `unsigned`):
 * also for events that are in none of our rooms, such as an out-of-band leave.
 */
export function clientEventFields(eventId: string, pdu: Pdu): ClientEvent {
  const out: ClientEvent = { event_id: eventId, type: pdu.type, sender: pdu.sender, origin_server_ts: pdu.origin_server_ts, content: pdu.content };
  if (pdu.state_key !== undefined) out.state_key = pdu.state_key;
  return out;
}

/** `unsigned.age` at `now`. */
export function ageAt(pdu: Pdu, now: number): number {
  return Math.max(0, now - pdu.origin_server_ts);
}

/** One event in client form (for callers that format a single event). */
export function formatClientEvent(app: App, rec: EventRecord, opts: ClientEventOptions = {}): ClientEvent {
  return new ClientEventFormatter(app, opts).format(rec);
}
