/**
 * One computation of a sync response: who asks, with which filter, over which window
 * (`since` → `to`), and the per-request helpers every section shares (event output, the
 * viewer's joined rooms, what the device-list section learns from membership changes).
 *
 * A run is synchronous from the moment `to` is read until the response is built, so every
 * read sees the same committed snapshot the positions came from.
 */
import { sharedRoomCheck, type SharedRoomCheck } from "../../accounts/shared-rooms.js";
import type { JsonObject } from "../../events/types.js";
import type { EventRecord } from "../../storage/events.js";
import { projectEventFields, type SyncFilter } from "../filters.js";
import { ClientEventFormatter } from "../format/client-event.js";
import type { SyncContext } from "./context.js";
import type { SyncPositions } from "./token.js";

export interface SyncRequest {
  readonly userId: string;
  readonly deviceId: string;
  readonly filter: SyncFilter;
  /** The client's `since`, or undefined for an initial sync. */
  readonly since: SyncPositions | undefined;
  readonly fullState: boolean;
  readonly useStateAfter: boolean;
}

/** Users whose membership changed in rooms shared with the viewer (device_lists hints). */
export interface MemberHints {
  /** Now share a room with the viewer (joined one of the viewer's rooms, or the viewer joined theirs). */
  readonly joined: Set<string>;
  /** May no longer share any room with the viewer. */
  readonly left: Set<string>;
}

export class SyncRun {
  readonly userId: string;
  readonly deviceId: string;
  readonly filter: SyncFilter;
  /** `since` made valid against `to` (positions.ts `effectiveSince`); undefined: initial. */
  readonly since: SyncPositions | undefined;
  readonly to: SyncPositions;
  readonly fullState: boolean;
  readonly useStateAfter: boolean;
  readonly now: number;
  readonly hints: MemberHints = { joined: new Set(), left: new Set() };
  /**
   * Where `next_batch` lands: `to`, except for streams a section could not deliver whole
   * (to-device, receipts, presence batches), which stop after what was delivered.
   */
  readonly next: { -readonly [K in keyof SyncPositions]: SyncPositions[K] };
  private readonly formatter: ClientEventFormatter;
  /** The same without the `unsigned.membership` lookup, for events whose answer is known. */
  private readonly knownMembership: ClientEventFormatter;
  private joined: ReadonlySet<number> | undefined;
  private shares: SharedRoomCheck | undefined;

  constructor(
    readonly ctx: SyncContext,
    req: SyncRequest,
    since: SyncPositions | undefined,
    to: SyncPositions,
  ) {
    this.userId = req.userId;
    this.deviceId = req.deviceId;
    this.filter = req.filter;
    this.fullState = req.fullState;
    this.useStateAfter = req.useStateAfter;
    this.since = since;
    this.to = to;
    this.next = { ...to };
    this.now = Date.now();
    const viewer = { userId: req.userId, deviceId: req.deviceId };
    this.formatter = new ClientEventFormatter(ctx.app, { viewer, omitRoomId: true, now: this.now });
    this.knownMembership = new ClientEventFormatter(ctx.app, { viewer, omitRoomId: true, now: this.now, membership: false });
  }

  get storage() {
    return this.ctx.app.storage;
  }

  /**
   * An event as the filter's `event_format` and `event_fields` ask. `membership`: the viewer's
   * membership after the event when the caller knows it (`unsigned.membership` without a state
   * lookup: every event after the viewer's current join was sent while they were joined).
   */
  event(rec: EventRecord, membership?: string): JsonObject {
    let base: JsonObject;
    if (this.filter.eventFormat === "federation") base = JSON.parse(rec.pduJson) as JsonObject;
    else if (membership === undefined) base = this.formatter.format(rec);
    else {
      base = this.knownMembership.format(rec);
      (base.unsigned as JsonObject).membership = membership;
    }
    const fields = this.filter.eventFields;
    return fields === undefined ? base : projectEventFields(base, fields);
  }

  /** A stored event, shared with the other syncs reading the same data (snapshot-cache.ts). */
  record(nid: number): EventRecord | undefined {
    return this.ctx.snapshot.record(nid);
  }

  roomId(roomNid: number): string | undefined {
    return this.ctx.snapshot.roomId(roomNid);
  }

  /** Room nids the viewer is joined to now. */
  joinedRoomNids(): ReadonlySet<number> {
    return (this.joined ??= new Set(this.storage.rooms.roomsOfUser(this.userId, "join").map((r) => r.roomNid)));
  }

  /** Does `userId` share a joined room with the viewer now? (Memoised for this run.) */
  readonly sharesRoomWith: SharedRoomCheck = (userId) => (this.shares ??= sharedRoomCheck(this.storage.rooms, this.userId, this.joinedRoomNids()))(userId);
}
