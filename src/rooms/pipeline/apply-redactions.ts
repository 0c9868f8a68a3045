/**
 * Applying redactions (client-server-api "Redactions"; rooms/fragments/v3-handling-redactions):
 * once both the redaction and its target are held, the target's stored copy is replaced by its
 * redacted form, which is what clients and other servers are served from then on.
 *
 * v1/v2: the auth rules already decided (rule 11). v3+: the redaction passed the auth rules on
 * its own; it is applied only if the sender's power level reaches the redact level or the
 * sender's server is the target sender's server. A redaction that arrives before its target is
 * indexed (storage `redactions`) and applied when the target arrives.
 */
import { redact } from "../../events/redaction.js";
import type { RoomEvent } from "../../events/types.js";
import type { NodeId } from "../../storage/state-node.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import { redactionAllowed } from "../auth/redaction-allowed.js";
import type { RoomContext } from "../room-context.js";
import { StateView } from "../state-view.js";

export function applyRedaction(ctx: RoomContext, w: WriteBatch, redaction: RoomEvent, redactionNid: number, stateBefore: NodeId): void {
  if (redaction.redacts === undefined) return;
  const target = ctx.loader.record(redaction.redacts, w);
  if (!target || target.roomNid !== ctx.roomNid || target.redactedBy !== undefined) return;
  const targetEvent = ctx.loader.byNid(target.nid, w);
  if (!targetEvent) return;
  if (!ctx.version.redactionInAuthRules) {
    const state = new StateView(ctx.storage, ctx.loader, stateBefore, w);
    if (!redactionAllowed(redaction, targetEvent, state, ctx.version)) return;
  }
  ctx.storage.events.markRedacted(w, target.nid, redactionNid, redact(targetEvent.pdu, ctx.version));
  ctx.loader.forget(target.nid);
}

/** Redactions that reached us before `ev` did, applied now that `ev` is here. */
export function applyEarlierRedactions(ctx: RoomContext, w: WriteBatch, ev: RoomEvent, nid: number): void {
  for (const rnid of ctx.storage.events.redactionsOf(nid)) {
    const rec = ctx.loader.recordByNid(rnid, w);
    const redaction = rec ? ctx.loader.byNid(rnid, w) : undefined;
    if (!rec || !redaction || rec.status !== "accepted" || rec.stateBefore === null) continue;
    if (redaction.redacts !== ev.eventId) continue;
    applyRedaction(ctx, w, redaction, rnid, rec.stateBefore);
    return;
  }
}
