/**
 * The receipt pipeline, inside the room's actor (server-server-api.md "Checks performed on
 * receipt of a PDU"):
 *
 *   1. Is a valid event for the room version, otherwise it is dropped.      → before the actor
 *   2. Passes signature checks, otherwise it is dropped.                    → before the actor
 *   3. Passes hash checks, otherwise it is redacted before being processed. → before the actor
 *   4. Passes authorisation rules based on the event's auth events,
 *      otherwise it is rejected.                                           → check-auth-events
 *   5. Passes authorisation rules based on the state before the event,
 *      otherwise it is rejected.                                           → state-before + here
 *   6. Passes authorisation rules based on the current state of the room,
 *      otherwise it is "soft failed".                                      → here
 *   7. Is validated by the Policy Server, if the room uses one,
 *      otherwise it is "soft failed".                                      → policy-server
 *
 * Steps 1–3 need no room state and run in the crypto pool before the events reach the actor
 * (src/rooms/pipeline/check-signatures.ts). This file runs 4–7 for a batch of one room's events,
 * in topological order, inside ONE storage write: every event, its state, the extremities and
 * the current state commit together or not at all. Locally created events go through the same
 * steps, so there is one implementation of what "accepted" means.
 */
import type { RoomEvent } from "../../events/types.js";
import type { EventStatus } from "../../storage/events.js";
import type { NodeId } from "../../storage/state-node.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import { checkAuthRules } from "../auth/check-auth.js";
import type { RoomContext } from "../room-context.js";
import { StateView } from "../state-view.js";
import { applyEarlierRedactions, applyRedaction } from "./apply-redactions.js";
import { checkAuthEvents } from "./check-auth-events.js";
import { createEventOf } from "./room-create.js";
import { Heads } from "./forward-extremities.js";
import { hasValidPolicySignature, needsPolicySignature, roomPolicyServer } from "./policy-server.js";
import { stateBeforeEvent } from "./state-before.js";

export interface IncomingEvent {
  readonly event: RoomEvent;
}

export type StoredOutcome = "accepted" | "soft_failed" | "rejected";

export type EventOutcome =
  | {
      readonly eventId: string;
      readonly status: StoredOutcome;
      readonly reason?: string;
      readonly nid: number;
      readonly streamOrdering?: number;
      /** Already held before this batch; nothing was written for it. */
      readonly duplicate: boolean;
      /** See PersistedEvent.referencedBefore. */
      readonly referencedBefore: boolean;
    }
  | {
      readonly eventId: string;
      /** Not stored: its auth events or the state before it are unknown here. */
      readonly status: "unplaced";
      readonly reason: string;
    };

export interface PersistedInfo {
  readonly event: RoomEvent;
  readonly nid: number;
  readonly status: StoredOutcome;
  readonly streamOrdering: number | undefined;
  /** State root before the event (for fan-out: who was in the room). */
  readonly stateBefore: NodeId;
}

export interface ReceiveOptions {
  /** Durable side effects of a newly stored event, in the same write (e.g. outbound queue). */
  onPersisted?: (w: WriteBatch, info: PersistedInfo) => void;
}

/** Steps 4–7 and persistence for `events` (one room, topological order), inside write `w`. */
export function receiveEvents(ctx: RoomContext, w: WriteBatch, events: readonly IncomingEvent[], opts: ReceiveOptions = {}): EventOutcome[] {
  const headsNow = ctx.storage.rooms.getHeads(ctx.roomNid, w);
  const heads = new Heads(ctx, headsNow.extremities, headsNow.stateRoot);
  const create = ctx.version.roomIdFromCreateEvent ? createEventOf(ctx, w) : undefined;
  const outcomes: EventOutcome[] = [];

  for (const { event: ev } of events) {
    const existing = ctx.loader.record(ev.eventId, w);
    if (existing && existing.status !== "outlier") {
      outcomes.push({
        eventId: ev.eventId,
        status: existing.status as StoredOutcome,
        reason: existing.rejectReason,
        nid: existing.nid,
        streamOrdering: existing.streamOrdering,
        duplicate: true,
        referencedBefore: true,
      });
      continue;
    }

    const stateBefore = stateBeforeEvent(ctx, ev, w);

    // 4. the event's own auth events
    const check4 = checkAuthEvents(ctx, ev, w, create);
    if (check4.kind === "missing") {
      outcomes.push({ eventId: ev.eventId, status: "unplaced", reason: `missing auth events: ${check4.missing.join(", ")}` });
      continue;
    }
    if (stateBefore === null) {
      if (!check4.result.allowed) {
        outcomes.push(store(ctx, w, ev, "rejected", check4.result.reason, null, opts).outcome);
        continue;
      }
      outcomes.push({ eventId: ev.eventId, status: "unplaced", reason: "the state before the event is unknown (missing prev events)" });
      continue;
    }
    if (!check4.result.allowed) {
      outcomes.push(store(ctx, w, ev, "rejected", `auth events: ${check4.result.reason}`, stateBefore, opts).outcome);
      continue;
    }

    // 5. the state before the event
    const check5 = checkAuthRules(ev, new StateView(ctx.storage, ctx.loader, stateBefore, w), ctx.version);
    if (!check5.allowed) {
      outcomes.push(store(ctx, w, ev, "rejected", `state before: ${check5.reason}`, stateBefore, opts).outcome);
      continue;
    }

    // 6. the current state (the same check again when the event builds on the current state)
    const current = new StateView(ctx.storage, ctx.loader, heads.currentRoot, w);
    let softFail: string | undefined;
    if (heads.currentRoot !== stateBefore) {
      const check6 = checkAuthRules(ev, current, ctx.version);
      if (!check6.allowed) softFail = `current state: ${check6.reason}`;
    }

    // 7. the room's Policy Server, if it uses one
    if (softFail === undefined && needsPolicySignature(ev)) {
      const ps = roomPolicyServer(current, (server) => ctx.storage.rooms.hasJoinedServer(ctx.roomNid, server));
      if (ps && !hasValidPolicySignature(ev, ps, ctx.version)) softFail = `policy server ${ps.via} has not signed the event`;
    }

    const { outcome, stateAfter } = store(ctx, w, ev, softFail ? "soft_failed" : "accepted", softFail, stateBefore, opts);
    outcomes.push(outcome);
    if (outcome.status !== "accepted" && outcome.status !== "soft_failed") continue;
    if (outcome.status === "accepted") {
      heads.accept(w, ev, outcome.nid, stateAfter ?? stateBefore, outcome.referencedBefore);
      if (ev.redacts !== undefined) applyRedaction(ctx, w, ev, outcome.nid, stateBefore);
      // A redaction that came first interned this event's ID, so only then can one exist.
      if (outcome.referencedBefore) applyEarlierRedactions(ctx, w, ev, outcome.nid);
    }
  }

  if (heads.changed) {
    ctx.storage.persistEvents(w, ctx.roomNid, [], {
      extremities: [...heads.extremities],
      currentState: { root: heads.currentRoot },
    });
  }
  return outcomes;
}

function store(
  ctx: RoomContext,
  w: WriteBatch,
  ev: RoomEvent,
  status: EventStatus & StoredOutcome,
  reason: string | undefined,
  stateBefore: NodeId | null,
  opts: ReceiveOptions,
): { outcome: EventOutcome; stateAfter: NodeId | null } {
  const [persisted] = ctx.storage.persistEvents(w, ctx.roomNid, [{ event: ev, status, rejectReason: reason, stateBefore }]);
  ctx.loader.remember(persisted!.nid, ev);
  if (stateBefore !== null) {
    opts.onPersisted?.(w, { event: ev, nid: persisted!.nid, status, streamOrdering: persisted!.streamOrdering, stateBefore });
  }
  const outcome: EventOutcome = {
    eventId: ev.eventId,
    status,
    reason,
    nid: persisted!.nid,
    streamOrdering: persisted!.streamOrdering,
    duplicate: false,
    referencedBefore: persisted!.referencedBefore,
  };
  return { outcome, stateAfter: persisted!.stateAfter };
}
