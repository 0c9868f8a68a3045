/**
 * Placing an event at a gap in the DAG (server-server-api.md "Backfilling and retrieving
 * missing events"): when a prev event P of an incoming event is unknown and get_missing_events
 * did not reach back to events we hold, the remote's `/state_ids` at P gives the state before
 * P. P is stored with that state, so the events that build on it can be placed and checked.
 *
 * P gets receipt checks 4 and 5 (its auth events; the state before it). Soft failure (check 6)
 * is about the current state and does not apply to history. An accepted P is stored as
 * backfilled: it has state and a place in the DAG, but a negative stream ordering, so it stays
 * out of /sync (it is history, not news), and it is not made a forward extremity (whatever
 * builds on it replaces it there). The state events must already be held (fetched and stored
 * as outliers in the same write, persist-outliers.ts); rejected or unknown ones are left out.
 *
 * Runs inside a room actor's job, in its write.
 */
import { stateKey, type RoomEvent, type StateKey } from "../../events/types.js";
import { EMPTY_ROOT } from "../../storage/state-map.js";
import type { NodeId } from "../../storage/state-node.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import { checkAuthRules } from "../auth/check-auth.js";
import type { RoomContext } from "../room-context.js";
import { StateView } from "../state-view.js";
import { applyEarlierRedactions, applyRedaction } from "./apply-redactions.js";
import { checkAuthEvents } from "./check-auth-events.js";

export type GapPlacement =
  | { readonly status: "accepted" | "rejected"; readonly reason?: string }
  /** Already held with its state; nothing written. */
  | { readonly status: "held" }
  | { readonly status: "unplaced"; readonly reason: string };

export function placeAtGap(ctx: RoomContext, w: WriteBatch, ev: RoomEvent, stateIds: readonly string[], streamOrdering?: number): GapPlacement {
  const existing = ctx.loader.record(ev.eventId, w);
  if (existing && existing.status !== "outlier") {
    return existing.stateAfter !== null ? { status: "held" } : { status: "unplaced", reason: `${ev.eventId} is held without state (${existing.status})` };
  }
  if (ev.roomId !== ctx.roomId) return { status: "unplaced", reason: "event is for another room" };

  const root = stateRootFromIds(ctx, w, stateIds);

  const check4 = checkAuthEvents(ctx, ev, w);
  if (check4.kind === "missing") return { status: "unplaced", reason: `missing auth events: ${check4.missing.join(", ")}` };
  if (!check4.result.allowed) return store(ctx, w, ev, "rejected", `auth events: ${check4.result.reason}`, root);

  const check5 = checkAuthRules(ev, new StateView(ctx.storage, ctx.loader, root, w), ctx.version);
  if (!check5.allowed) return store(ctx, w, ev, "rejected", `state before: ${check5.reason}`, root);
  return store(ctx, w, ev, "accepted", undefined, root, streamOrdering);
}

/** A state map holding the given events (each in its own slot; the first listed wins a slot). */
function stateRootFromIds(ctx: RoomContext, w: WriteBatch, ids: readonly string[]): NodeId {
  const changes = new Map<StateKey, number>();
  for (const id of ids) {
    const rec = ctx.loader.record(id, w);
    if (!rec || rec.status === "rejected" || rec.roomNid !== ctx.roomNid) continue;
    const ev = ctx.loader.byNid(rec.nid, w);
    if (!ev || ev.stateKey === undefined) continue;
    const key = stateKey(ev.type, ev.stateKey);
    if (!changes.has(key)) changes.set(key, rec.nid);
  }
  return ctx.storage.state.applyChanges(w, EMPTY_ROOT, changes);
}

function store(
  ctx: RoomContext,
  w: WriteBatch,
  ev: RoomEvent,
  status: "accepted" | "rejected",
  reason: string | undefined,
  root: NodeId,
  streamOrdering?: number,
): GapPlacement {
  const [persisted] = ctx.storage.persistEvents(w, ctx.roomNid, [
    { event: ev, status, rejectReason: reason, stateBefore: root, backfilled: status === "accepted", ...(streamOrdering !== undefined ? { streamOrdering } : {}) },
  ]);
  ctx.loader.remember(persisted!.nid, ev);
  if (status === "accepted") {
    if (ev.redacts !== undefined) applyRedaction(ctx, w, ev, persisted!.nid, root);
    applyEarlierRedactions(ctx, w, ev, persisted!.nid);
  }
  return reason === undefined ? { status } : { status, reason };
}
