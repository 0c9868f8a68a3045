/**
 * The per-room sections of a sync response (sync.yaml "Joined Room", "Left Room"): timeline,
 * state (or `state_after`), ephemeral, account data, summary; see room-plan.ts for which rooms
 * get one and timeline.ts / room-state.ts for how each part is read.
 *
 * `state` describes the state at the START of the timeline ("the state list represents the
 * complete state of the room at the start of the returned timeline", "Syncing"); with
 * `use_state_after` the section is `state_after`, the state at its END, and `state` is omitted
 * (sync.yaml `use_state_after`, v1.16).
 *
 * An incremental joined room with nothing to say (events the filter or history visibility
 * hide, no state change, no ephemeral or account data) is left out, so a long-poll woken by
 * such a change keeps waiting.
 */
import type { JsonObject } from "../../events/types.js";
import type { EventRecord } from "../../storage/events.js";
import type { NodeId } from "../../storage/state-node.js";
import { matchesRoomEventFilter } from "../format/room-event-filter.js";
import { positionToken } from "../format/tokens.js";
import type { AccountDataEvent } from "./account-data.js";
import type { EphemeralChanges } from "./ephemeral.js";
import { memberChanges, stateAtPosition, stateSection } from "./room-state.js";
import type { RoomPlan } from "./room-plan.js";
import type { SyncRun } from "./run.js";
import { roomSummary, type RoomSummary } from "./summary.js";
import { readTimeline, type TimelineSlice } from "./timeline.js";

const ENCRYPTION = "m.room.encryption";

export interface RoomExtras {
  readonly ephemeral: EphemeralChanges;
  /** Room ID → changed room account data. */
  readonly accountData: ReadonlyMap<string, readonly AccountDataEvent[]>;
}

export function joinedRoomSection(run: SyncRun, plan: RoomPlan, extras: RoomExtras): JsonObject | undefined {
  const current = run.storage.rooms.getHeads(plan.roomNid).stateRoot;
  const timeline = readTimeline(run, {
    roomNid: plan.roomNid,
    roomId: plan.roomId,
    after: plan.after,
    upTo: run.to.room,
    joinedFrom: plan.member.streamOrdering,
  });
  const start = timeline.records[0]?.stateBefore ?? current;
  const summary = plan.full ? roomSummary(run, plan.roomNid) : undefined;
  const state = noStateDelta(run, plan, timeline) ? [] : roomState(run, plan, timeline.records, start, current, summary);
  const ephemeral = extras.ephemeral.eventsFor(plan.roomId, plan.full);
  const accountData = roomAccountData(run, plan.roomId, extras);
  // Member events that changed in the window (lazy-loading also re-sends unchanged ones).
  const after = run.since?.room ?? Number.NEGATIVE_INFINITY;
  const members = memberChanges([...timeline.records, ...state].filter((r) => r.streamOrdering !== undefined && r.streamOrdering > after));
  if (!plan.full && timeline.records.length === 0 && state.length === 0 && ephemeral.length === 0 && accountData.length === 0) return undefined;

  noteMembers(run, plan, members);
  const joinedFrom = plan.member.streamOrdering ?? Number.POSITIVE_INFINITY;
  const events = timeline.records.map((r) => run.event(r, r.streamOrdering !== undefined && r.streamOrdering >= joinedFrom ? "join" : undefined));
  // A room newly joined in an incremental sync is a gap ("Syncing": the client fills gaps with
  // /messages from prev_batch): the client knew at most its invite or knock, not the history
  // before the timeline (often not even on this server yet, after a remote join). Clients only
  // reset a room they already knew, and take its prev_batch, on `limited` (matrix-js-sdk;
  // Synapse reports newly joined rooms as limited for this reason).
  const newlyJoined = run.since !== undefined && plan.after === undefined;
  const out: JsonObject = {
    timeline: { events, limited: timeline.limited || newlyJoined, prev_batch: timeline.prevBatch },
    [run.useStateAfter ? "state_after" : "state"]: { events: state.map((r) => run.event(r)) },
    ephemeral: { events: ephemeral },
    account_data: { events: accountData as unknown as JsonObject[] },
  };
  const sum = summary ?? (members.length > 0 ? roomSummary(run, plan.roomNid) : undefined);
  if (sum !== undefined) out.summary = sum.json;
  return out;
}

export function leftRoomSection(run: SyncRun, plan: RoomPlan, extras: RoomExtras): JsonObject {
  const leave = plan.member;
  if (plan.minimal) {
    const pdu = leave.pdu;
    const shown = matchesRoomEventFilter(run.filter.room.timeline, { type: pdu.type, sender: pdu.sender, roomId: plan.roomId, content: pdu.content });
    return {
      timeline: { events: shown ? [run.event(leave)] : [], limited: false, prev_batch: positionToken((leave.streamOrdering ?? run.to.room) - 1) },
      [run.useStateAfter ? "state_after" : "state"]: { events: [] },
      account_data: { events: roomAccountData(run, plan.roomId, extras) as unknown as JsonObject[] },
    };
  }
  const timeline = readTimeline(run, {
    roomNid: plan.roomNid,
    roomId: plan.roomId,
    after: plan.after,
    upTo: leave.streamOrdering ?? run.to.room,
    joinedFrom: undefined,
  });
  const end = leave.stateAfter ?? run.storage.rooms.getHeads(plan.roomNid).stateRoot;
  const start = timeline.records[0]?.stateBefore ?? end;
  const state = noStateDelta(run, plan, timeline) ? [] : roomState(run, plan, timeline.records, start, end, undefined);
  if (run.since !== undefined && isEncrypted(run, plan.roomNid)) {
    // The viewer no longer shares this room with its members.
    for (const m of run.storage.rooms.members(plan.roomNid, "join")) run.hints.left.add(m.userId);
  }
  return {
    timeline: { events: timeline.records.map((r) => run.event(r)), limited: timeline.limited, prev_batch: timeline.prevBatch },
    [run.useStateAfter ? "state_after" : "state"]: { events: state.map((r) => run.event(r)) },
    account_data: { events: roomAccountData(run, plan.roomId, extras) as unknown as JsonObject[] },
  };
}

/**
 * "In the case of an incremental sync, the state list gives a delta between the state of the
 * room at the since parameter and that at the start of the returned timeline. (It will
 * therefore be empty unless the timeline was limited.)" ("Syncing"). That holds when the
 * timeline is every event since `since`: not limited, and no filter left any out.
 * (`state_after` covers the timeline too, and lazy-loading adds the senders' member events, so
 * both always compute the section.)
 */
function noStateDelta(run: SyncRun, plan: RoomPlan, timeline: TimelineSlice): boolean {
  if (plan.full || plan.after === undefined || run.useStateAfter || run.filter.room.state.lazyLoadMembers) return false;
  return !timeline.limited && timeline.complete;
}

function roomState(
  run: SyncRun,
  plan: RoomPlan,
  timeline: readonly EventRecord[],
  start: NodeId,
  end: NodeId,
  summary: RoomSummary | undefined,
): EventRecord[] {
  const members = new Set<string>([run.userId, ...(summary?.heroes ?? [])]);
  for (const rec of timeline) members.add(rec.pdu.sender);
  return stateSection(run, {
    roomNid: plan.roomNid,
    roomId: plan.roomId,
    at: run.useStateAfter ? end : start,
    from: plan.full || plan.after === undefined ? undefined : stateAtPosition(run, plan.roomNid, plan.after),
    members,
  });
}

function roomAccountData(run: SyncRun, roomId: string, extras: RoomExtras): readonly AccountDataEvent[] {
  const events = extras.accountData.get(roomId) ?? [];
  const filter = run.filter.room.accountData;
  return events.filter((e) => matchesRoomEventFilter(filter, { type: e.type, roomId }));
}

/**
 * Device-list hints (client-server "Tracking the device list for a user": `changed` also lists
 * users "who now share an encrypted room with the client", `left` those who no longer share
 * any). Only encrypted rooms count.
 */
function noteMembers(run: SyncRun, plan: RoomPlan, members: readonly { userId: string; membership: string }[]): void {
  const newlyJoined = plan.full && plan.after === undefined;
  if (run.since === undefined || (!newlyJoined && members.length === 0) || !isEncrypted(run, plan.roomNid)) return;
  if (newlyJoined) {
    // Newly joined: everyone in the room is new company.
    for (const m of run.storage.rooms.members(plan.roomNid, "join")) if (m.userId !== run.userId) run.hints.joined.add(m.userId);
    return;
  }
  for (const m of members) {
    if (m.userId === run.userId) continue;
    if (m.membership === "join") run.hints.joined.add(m.userId);
    else if (m.membership === "leave" || m.membership === "ban") run.hints.left.add(m.userId);
  }
}

function isEncrypted(run: SyncRun, roomNid: number): boolean {
  return run.storage.rooms.currentStateNid(roomNid, ENCRYPTION, "") !== undefined;
}
