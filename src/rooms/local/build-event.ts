/**
 * A new event of ours, before hashing and signing (server-server-api.md "PDUs", "Auth events
 * selection"; the room version's event format):
 *
 * - prev_events: the forward extremities (at most 20, the deepest first: pdu_v* allow 20);
 * - depth: one more than the deepest prev event, capped at the version's maximum depth (the
 *   PDU schemas say a room already at the limit keeps using it);
 * - auth_events: the auth events selection, from the current state (v12: never the create);
 * - v1/v2: a fresh `$random:our.server` event_id and `[id, {sha256}]` references;
 * - redactions: `redacts` at the top level before v11, in `content` from v11.
 */
import crypto from "node:crypto";
import { eventReferences } from "../../events/event.js";
import { referenceHash } from "../../events/hashes.js";
import type { JsonObject } from "../../events/types.js";
import { authEventTypes } from "../auth/auth-events-selection.js";
import type { RoomContext } from "../room-context.js";
import { StateView } from "../state-view.js";
import type { NodeId } from "../../storage/state-node.js";
import type { ReadView } from "../../storage/write-batch.js";

export const MAX_PREV_EVENTS = 20;

export interface LocalEventSpec {
  readonly type: string;
  readonly stateKey?: string;
  readonly sender: string;
  readonly content: JsonObject;
  /** For m.room.redaction. */
  readonly redacts?: string;
  /** Override the timestamp (tests, imports); default now. */
  readonly originServerTs?: number;
}

export interface RoomHeadsView {
  readonly extremities: readonly number[];
  readonly stateRoot: NodeId;
}

export function buildEventTemplate(ctx: RoomContext, spec: LocalEventSpec, heads: RoomHeadsView, view?: ReadView): JsonObject {
  const prevRecords = heads.extremities
    .map((nid) => ctx.loader.recordByNid(nid, view))
    .filter((r) => r !== undefined)
    .sort((a, b) => b.depth - a.depth || b.authOrder - a.authOrder)
    .slice(0, MAX_PREV_EVENTS);
  const maxDepth = prevRecords.reduce((d, r) => Math.max(d, r.depth), 0);
  const depth = Math.min(maxDepth + 1, ctx.version.maxDepth);

  const state = new StateView(ctx.storage, ctx.loader, heads.stateRoot);
  const authIds: string[] = [];
  for (const slot of authEventTypes({ type: spec.type, stateKey: spec.stateKey, sender: spec.sender, content: spec.content }, ctx.version)) {
    const ev = state.get(slot.type, slot.stateKey);
    if (ev && !authIds.includes(ev.eventId)) authIds.push(ev.eventId);
  }
  const refHash = (id: string) => {
    const rec = ctx.loader.record(id, view);
    return rec ? referenceHash(rec.pdu, ctx.version) : undefined;
  };

  const content: JsonObject = { ...spec.content };
  const template: JsonObject = {
    room_id: ctx.roomId,
    sender: spec.sender,
    type: spec.type,
    content,
    origin_server_ts: spec.originServerTs ?? Date.now(),
    depth,
    prev_events: eventReferences(
      prevRecords.map((r) => r.eventId),
      ctx.version,
      refHash,
    ) as JsonObject[keyof JsonObject],
    auth_events: eventReferences(authIds, ctx.version, refHash) as JsonObject[keyof JsonObject],
  };
  if (spec.stateKey !== undefined) template.state_key = spec.stateKey;
  if (spec.redacts !== undefined) {
    if (ctx.version.redactsInContent) content.redacts = spec.redacts;
    else template.redacts = spec.redacts;
  }
  if (ctx.version.eventIdFormat === "carried") template.event_id = newCarriedEventId(ctx.serverName);
  return template;
}

/** v1/v2 event IDs: `$opaque:domain`; 18 random URL-safe characters make collisions moot. */
export function newCarriedEventId(serverName: string): string {
  return `$${crypto.randomBytes(14).toString("base64url")}:${serverName}`;
}
