/**
 * What the room directory and the space hierarchy say about a room we hold, from its current
 * state: the `PublishedRoomsChunk` (data/api/client-server/definitions/public_rooms_chunk.yaml)
 * and the `RoomSummary` that extends it (room_summary.yaml), plus the space's valid
 * `m.space.child` events as stripped state with `origin_server_ts` (space_hierarchy.yaml),
 * ordered as client-server-api modules/spaces.md "Ordering of children within a space".
 *
 * Summaries are cached per room and recomputed only when the room's current state root
 * changes (every membership change is a state change, so the member count stays exact).
 */
import type { JsonObject, JsonValue } from "../events/types.js";
import { JOIN_RULES } from "../rooms/auth/types.js";
import { HISTORY_VISIBILITY, historyVisibilityOf } from "../rooms/visibility/history-visibility.js";
import type { VisibilitySource } from "../rooms/visibility/source.js";
import { prefixRange } from "../storage/keys.js";
import type { NodeId } from "../storage/state-node.js";
import type { Storage } from "../storage/storage.js";

export interface PublicRoomsChunk {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  name?: string;
  topic?: string;
  avatar_url?: string;
  canonical_alias?: string;
  join_rule?: string;
  room_type?: string;
}

export interface RoomSummary extends PublicRoomsChunk {
  allowed_room_ids?: string[];
  encryption?: string;
  room_version?: string;
}

/** A `m.space.child` event as stripped state plus its `origin_server_ts`. */
export interface SpaceChildState {
  type: "m.space.child";
  state_key: string;
  content: JsonObject;
  sender: string;
  origin_server_ts: number;
}

export const SPACE_CHILD = "m.space.child";
export const SPACE_ROOM_TYPE = "m.space";
const MEGOLM = "m.megolm.v1.aes-sha2";

interface Cached {
  readonly root: NodeId;
  readonly summary: RoomSummary;
  readonly children: readonly SpaceChildState[];
}

const caches = new WeakMap<Storage, Map<number, Cached>>();
const CACHE_MAX = 10_000;

/** Summary of a room whose state we hold; undefined when we do not (unknown, or invite only). */
export function summariseRoom(src: VisibilitySource, roomId: string): RoomSummary | undefined {
  return cached(src, roomId)?.summary;
}

/** The room's valid space children, ordered; empty when it has none or we lack its state. */
export function spaceChildren(src: VisibilitySource, roomId: string): readonly SpaceChildState[] {
  return cached(src, roomId)?.children ?? [];
}

function cached(src: VisibilitySource, roomId: string): Cached | undefined {
  const { storage } = src;
  const room = storage.rooms.getRoom(roomId);
  if (room === undefined || room.createEventId === null) return undefined;
  const root = storage.rooms.getHeads(room.roomNid).stateRoot;
  let cache = caches.get(storage);
  if (cache === undefined) caches.set(storage, (cache = new Map()));
  const hit = cache.get(room.roomNid);
  if (hit !== undefined && hit.root === root) return hit;
  const entry: Cached = { root, summary: buildSummary(src, room.roomNid, roomId, room.version), children: buildChildren(src, room.roomNid) };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(room.roomNid, entry);
  return entry;
}

function buildSummary(src: VisibilitySource, roomNid: number, roomId: string, version: string): RoomSummary {
  const content = (type: string): JsonObject | undefined => {
    const nid = src.storage.rooms.currentStateNid(roomNid, type, "");
    return nid === undefined ? undefined : src.loader.byNid(nid)?.content;
  };
  const joinRules = content(JOIN_RULES);
  // No join rules event: nobody but the creator can join (auth rules), so not "public" (the
  // chunk's default for a missing `join_rule`).
  const joinRule = str(joinRules?.join_rule) ?? "invite";
  const summary: RoomSummary = {
    room_id: roomId,
    num_joined_members: joinedMemberCount(src.storage, roomNid),
    world_readable: historyVisibilityOf(content(HISTORY_VISIBILITY)) === "world_readable",
    guest_can_join: content("m.room.guest_access")?.guest_access === "can_join",
    join_rule: joinRule,
    room_version: version,
  };
  const name = str(content("m.room.name")?.name);
  if (name) summary.name = name;
  const topic = str(content("m.room.topic")?.topic);
  if (topic) summary.topic = topic;
  const avatar = str(content("m.room.avatar")?.url);
  if (avatar) summary.avatar_url = avatar;
  const alias = str(content("m.room.canonical_alias")?.alias);
  if (alias) summary.canonical_alias = alias;
  const roomType = str(content("m.room.create")?.type);
  if (roomType !== undefined) summary.room_type = roomType;
  if (content("m.room.encryption")?.algorithm === MEGOLM) summary.encryption = MEGOLM;
  if (joinRule === "restricted" || joinRule === "knock_restricted") summary.allowed_room_ids = allowedRoomIds(joinRules);
  return summary;
}

/** Room IDs of the `m.room_membership` conditions of a restricted join rule. */
export function allowedRoomIds(joinRules: JsonObject | undefined): string[] {
  const allow = joinRules?.allow;
  if (!Array.isArray(allow)) return [];
  const out: string[] = [];
  for (const cond of allow) {
    if (cond === null || typeof cond !== "object" || Array.isArray(cond)) continue;
    if (cond.type === "m.room_membership" && typeof cond.room_id === "string") out.push(cond.room_id);
  }
  return out;
}

/** Sum of the per-server joined counts (room_hosts): O(servers), not O(members). */
function joinedMemberCount(storage: Storage, roomNid: number): number {
  let n = 0;
  for (const { value } of storage.store.dbs.roomHosts.getRange(prefixRange([roomNid]))) n += value;
  return n;
}

function buildChildren(src: VisibilitySource, roomNid: number): SpaceChildState[] {
  const out: SpaceChildState[] = [];
  for (const slot of src.storage.rooms.currentState(roomNid, SPACE_CHILD)) {
    const ev = src.loader.byNid(slot.nid);
    if (ev === undefined || !isValidVia(ev.content.via)) continue;
    out.push({ type: SPACE_CHILD, state_key: slot.stateKey, content: ev.content, sender: ev.sender, origin_server_ts: ev.originServerTs });
  }
  return out.sort(compareChildren);
}

/** m.space.child `via`: "When not present or invalid, the child room is not considered to be part of the space." */
export function isValidVia(via: JsonValue | undefined): via is string[] {
  return Array.isArray(via) && via.length > 0 && via.every((s) => typeof s === "string");
}

/** A usable `order`: 1–50 characters in \x20–\x7E; anything else counts as absent. */
function validOrder(content: JsonObject): string | undefined {
  const o = content.order;
  return typeof o === "string" && o.length > 0 && o.length <= 50 && /^[\x20-\x7E]+$/.test(o) ? o : undefined;
}

/** modules/spaces.md: valid `order` first (by code points), then by timestamp, then room ID. */
export function compareChildren(a: SpaceChildState, b: SpaceChildState): number {
  const oa = validOrder(a.content);
  const ob = validOrder(b.content);
  if (oa !== undefined && ob === undefined) return -1;
  if (oa === undefined && ob !== undefined) return 1;
  if (oa !== undefined && ob !== undefined && oa !== ob) return oa < ob ? -1 : 1;
  if (a.origin_server_ts !== b.origin_server_ts) return a.origin_server_ts - b.origin_server_ts;
  return a.state_key < b.state_key ? -1 : a.state_key > b.state_key ? 1 : 0;
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}
