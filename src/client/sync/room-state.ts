/**
 * A room's `state` (or, with `use_state_after`, `state_after`) section (sync.yaml):
 *
 * - full (initial sync, newly joined room, `full_state`): every state event at the point the
 *   section describes;
 * - incremental: the slots whose event differs between the state at `since` and that point.
 *
 * The point is the start of the timeline (`state`: the state before its first event) or its end
 * (`state_after`). The state at `since` is the state after the room's last event at or before
 * `since` (the event order /sync linearises the room into). States are persistent maps
 * (storage/state-map.ts), so a delta costs what changed, not the size of the room.
 *
 * Lazy-loading members ("Lazy-loading room members"): full sections carry member events only
 * for the senders of the returned timeline events, the viewer ("servers MUST include the
 * syncing user's own membership event when they join a room, or when the full state of rooms
 * is requested") and the summary's heroes. Incremental sections keep every member change
 * ("When a sync is limited, the server MUST return membership events for events in the gap")
 * and add the timeline senders' member events too: we do not track which ones a client already
 * has, and sending them again is allowed ("it is valid for the server to send redundant
 * membership events").
 */
import { stateKey } from "../../events/types.js";
import { MEMBER } from "../../rooms/auth/types.js";
import type { EventRecord } from "../../storage/events.js";
import { EMPTY_ROOT } from "../../storage/state-map.js";
import type { NodeId } from "../../storage/state-node.js";
import { matchesRoomEventFilter, passesEverything } from "../format/room-event-filter.js";
import type { SyncRun } from "./run.js";

export interface StateRequest {
  readonly roomNid: number;
  readonly roomId: string;
  /** The state the section brings the client to. */
  readonly at: NodeId;
  /** The state the client has (incremental); undefined: send the full state. */
  readonly from: NodeId | undefined;
  /** Lazy-loading: the users whose member events a full section carries. */
  readonly members: ReadonlySet<string>;
}

/** The state events for the section, in no particular order. */
export function stateSection(run: SyncRun, req: StateRequest): EventRecord[] {
  const state = run.storage.state;
  const nids: number[] = [];
  const lazy = run.filter.room.state.lazyLoadMembers;
  if (req.from === undefined) {
    if (lazy) {
      for (const [key, nid] of state.entries(req.at)) if (!key.startsWith(MEMBER_PREFIX)) nids.push(nid);
      for (const userId of req.members) {
        const nid = state.get(req.at, stateKey(MEMBER, userId));
        if (nid !== undefined) nids.push(nid);
      }
    } else {
      for (const [, nid] of state.entries(req.at)) nids.push(nid);
    }
  } else {
    if (req.from !== req.at) for (const d of state.diff(req.from, req.at)) if (d.b !== undefined) nids.push(d.b);
    if (lazy) {
      const have = new Set(nids);
      for (const userId of req.members) {
        const nid = state.get(req.at, stateKey(MEMBER, userId));
        if (nid !== undefined && !have.has(nid)) nids.push(nid);
      }
    }
  }
  const filter = run.filter.room.state;
  const open = passesEverything(filter);
  const out: EventRecord[] = [];
  for (const nid of nids) {
    const rec = run.record(nid);
    if (rec === undefined) continue;
    if (!open) {
      const pdu = rec.pdu;
      if (!matchesRoomEventFilter(filter, { type: pdu.type, sender: pdu.sender, roomId: req.roomId, content: pdu.content })) continue;
    }
    out.push(rec);
  }
  return out;
}

const MEMBER_PREFIX = stateKey(MEMBER, "");

/**
 * The state the client holds for a room at `since`: the state after the room's last event at
 * or before that position (EMPTY_ROOT when there is none: all state is new to the client).
 */
export function stateAtPosition(run: SyncRun, roomNid: number, pos: number): NodeId {
  const range = { start: [roomNid, pos], end: [roomNid], reverse: true, limit: 1 };
  for (const { key, value } of run.storage.store.dbs.roomStream.getRange(range)) {
    if (key.length !== 2) continue;
    return run.record(value)?.stateAfter ?? EMPTY_ROOT;
  }
  return EMPTY_ROOT;
}

/** The member slots a state section touches (for the device-list hints). */
export function memberChanges(records: readonly EventRecord[]): { userId: string; membership: string }[] {
  const out: { userId: string; membership: string }[] = [];
  for (const rec of records) {
    const pdu = rec.pdu;
    if (pdu.type !== MEMBER || pdu.state_key === undefined) continue;
    const m = pdu.content.membership;
    out.push({ userId: pdu.state_key, membership: typeof m === "string" ? m : "leave" });
  }
  return out;
}
