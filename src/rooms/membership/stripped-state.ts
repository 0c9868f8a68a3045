/**
 * Stripped state and the invite/knock room state it is made from (client-server-api
 * "Stripped state"; server-server-api "Inviting to a room", knocks.yaml `knock_room_state`,
 * invites-v*.yaml `invite_room_state`).
 *
 * Over federation (since Matrix 1.16) the room state offered with an invite or a knock is a
 * list of FULL PDUs formatted for the room version and MUST contain `m.room.create`. Clients
 * only ever see the stripped form `{type, state_key, sender, content}`: servers must prune
 * what they receive before passing it on ("Servers cannot pass through what they receive over
 * federation to clients as stripped state").
 */
import type { JsonObject } from "../../events/types.js";
import { stateKey } from "../../events/types.js";
import type { EventRecord } from "../../storage/events.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import type { NodeId } from "../../storage/state-node.js";
import type { RoomContext } from "../room-context.js";
import { isJsonObject } from "../../json.js";

/**
 * "Stripped state should contain some or all of the following state events" — in this order,
 * the create event first (it is the one that MUST be there).
 */
export const STRIPPED_STATE_TYPES: readonly string[] = [
  "m.room.create",
  "m.room.join_rules",
  "m.room.name",
  "m.room.avatar",
  "m.room.topic",
  "m.room.canonical_alias",
  "m.room.encryption",
];

/** client-server "Stripped state": only these four properties may be present. */
export interface StrippedStateEvent {
  readonly type: string;
  readonly state_key: string;
  readonly sender: string;
  readonly content: JsonObject;
}

/** The stripped form of a state event (federation PDU or any object with the four fields). */
export function toStrippedState(ev: { type: string; state_key?: string; sender: string; content: JsonObject }): StrippedStateEvent {
  return { type: ev.type, state_key: ev.state_key ?? "", sender: ev.sender, content: ev.content };
}

/** Whether `value` already has the stripped-state shape (what servers before 1.16 sent). */
export function isStrippedStateShaped(value: unknown): value is StrippedStateEvent {
  if (!isJsonObject(value)) return false;
  return (
    typeof value.type === "string" &&
    typeof value.state_key === "string" &&
    typeof value.sender === "string" &&
    isJsonObject(value.content)
  );
}

/**
 * The stored records of the room-state events we offer with invites and knocks, from the state
 * map `root` (the state at the membership event), in `STRIPPED_STATE_TYPES` order; absent
 * types are skipped. Their `pduJson` is the full PDU, ready to splice into a response.
 */
export function strippedStateRecords(ctx: RoomContext, root: NodeId, w?: WriteBatch): EventRecord[] {
  const out: EventRecord[] = [];
  for (const type of STRIPPED_STATE_TYPES) {
    const nid = ctx.storage.state.get(root, stateKey(type, ""), w);
    if (nid === undefined) continue;
    const rec = ctx.loader.recordByNid(nid, w);
    if (rec) out.push(rec);
  }
  return out;
}

/** `strippedStateRecords` as a JSON array of full PDUs (stored text, not re-serialised). */
export function roomStateJsonArray(records: readonly EventRecord[]): string {
  return `[${records.map((r) => r.pduJson).join(",")}]`;
}

/** `strippedStateRecords` reduced to stripped state (what /sync serves). */
export function strippedStateAt(ctx: RoomContext, root: NodeId, w?: WriteBatch): StrippedStateEvent[] {
  return strippedStateRecords(ctx, root, w).map((r) => toStrippedState(r.pdu));
}

