/**
 * `GET /_matrix/client/v1/rooms/{roomId}/hierarchy` (client space_hierarchy.yaml,
 * modules/spaces.md "Discovering rooms within spaces"): a depth-first walk of the space tree
 * from `roomId`, in child order, each room once (loops are broken), listing the rooms the user
 * may peek/join (room-access-rules.ts) with their `children_state`.
 *
 * A child room we hold is summarised from our state; one we do not is asked of the servers in
 * its `via` with the federation `/hierarchy` (whose `children` then stand in for the
 * grandchildren's summaries). The root must be a room we hold that the user may peek/join,
 * else 403 M_FORBIDDEN.
 *
 * Pagination: `limit` rooms per page (default 50, at most 100); the rest of the walk stays
 * here under a random `next_batch` token for 5 minutes (reusable: a retried page is the same). A `from` token only continues the same
 * walk: another user, room, `suggested_only` or `max_depth` is 400 M_INVALID_PARAM.
 */
import crypto from "node:crypto";
import type { App } from "../app.js";
import { Errors } from "../errors.js";
import type { JsonObject } from "../events/types.js";
import { json, type ClientAuth, type Handler } from "../http/request.js";
import { isJsonObject } from "../json.js";
import { boolParam, intParam } from "../federation/events/query-params.js";
import { withQuery } from "../outbound/federation-client.js";
import { childStatesOf, type HierarchyRoom } from "./federation-hierarchy.js";
import { mayPeekOrJoin } from "./room-access-rules.js";
import { compareChildren, isValidVia, SPACE_CHILD, summariseRoom, type RoomSummary, type SpaceChildState } from "./room-summary.js";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;
export const DEFAULT_MAX_DEPTH = 10;
export const MAX_MAX_DEPTH = 50;
const SESSION_TTL_MS = 5 * 60_000;
const MAX_SESSIONS = 10_000;
const MAX_VIA_TRIED = 3;
const REMOTE_TIMEOUT_MS = 10_000;

interface QueueEntry {
  readonly roomId: string;
  readonly via: readonly string[];
  readonly depth: number;
  /** The summary a parent's remote answer gave for this room. */
  readonly remote?: HierarchyRoom;
}

interface Walk {
  readonly userId: string;
  readonly roomId: string;
  readonly suggestedOnly: boolean;
  readonly maxDepth: number;
  readonly queue: QueueEntry[];
  readonly processed: Set<string>;
  expiresAt: number;
}

interface RoomInfo {
  readonly summary: RoomSummary;
  readonly children: SpaceChildState[];
  readonly childSummaries?: ReadonlyMap<string, HierarchyRoom>;
}

const walksByApp = new WeakMap<App, Map<string, Walk>>();

export function getClientHierarchyHandler(app: App): Handler<ClientAuth> {
  return async (req) => {
    const roomId = req.params.roomId!;
    const userId = req.auth.userId;
    const suggestedOnly = boolParam(req.query, "suggested_only") ?? false;
    const limitParam = intParam(req.query, "limit");
    if (limitParam !== undefined && limitParam <= 0) throw Errors.invalidParam("limit must be greater than zero");
    const limit = Math.min(limitParam ?? DEFAULT_LIMIT, MAX_LIMIT);
    const maxDepth = Math.min(intParam(req.query, "max_depth", { min: 0 }) ?? DEFAULT_MAX_DEPTH, MAX_MAX_DEPTH);
    const from = req.query.get("from");

    const walks = walksOf(app);
    let walk: Walk;
    if (from) {
      const w = walks.get(from);
      if (w === undefined || w.expiresAt < Date.now()) throw Errors.invalidParam("Unknown pagination token");
      if (w.userId !== userId || w.roomId !== roomId || w.suggestedOnly !== suggestedOnly || w.maxDepth !== maxDepth) {
        throw Errors.invalidParam("suggested_only and max_depth cannot change on paginated requests");
      }
      // Continue a copy: the token stays valid for a client that retries the same page.
      walk = { ...w, queue: [...w.queue], processed: new Set(w.processed) };
    } else {
      const root = summariseRoom(app.rooms, roomId);
      if (root === undefined || !mayPeekOrJoin(app.rooms, root, { userId })) throw Errors.forbidden("You are not allowed to view this room.");
      walk = { userId, roomId, suggestedOnly, maxDepth, queue: [{ roomId, via: [], depth: 0 }], processed: new Set(), expiresAt: 0 };
    }

    const rooms = await continueWalk(app, walk, limit);
    while (walk.queue.length > 0 && walk.processed.has(walk.queue[walk.queue.length - 1]!.roomId)) walk.queue.pop();
    const body: { rooms: HierarchyRoom[]; next_batch?: string } = { rooms };
    if (walk.queue.length > 0) body.next_batch = remember(walks, walk);
    return json(body);
  };
}

async function continueWalk(app: App, walk: Walk, limit: number): Promise<HierarchyRoom[]> {
  const rooms: HierarchyRoom[] = [];
  while (walk.queue.length > 0 && rooms.length < limit) {
    const entry = walk.queue.pop()!;
    if (walk.processed.has(entry.roomId)) continue;
    walk.processed.add(entry.roomId);
    const info = await roomInfo(app, entry, walk.suggestedOnly);
    if (info === undefined) continue;
    if (entry.depth > 0 && !mayPeekOrJoin(app.rooms, info.summary, { userId: walk.userId })) continue;
    rooms.push({ ...info.summary, children_state: info.children });
    if (entry.depth >= walk.maxDepth) continue;
    // A stack: push in reverse so the first child is walked next (depth-first, child order).
    for (let i = info.children.length - 1; i >= 0; i--) {
      const child = info.children[i]!;
      if (walk.processed.has(child.state_key)) continue;
      const remote = info.childSummaries?.get(child.state_key);
      walk.queue.push({
        roomId: child.state_key,
        via: child.content.via as string[],
        depth: entry.depth + 1,
        ...(remote !== undefined ? { remote } : {}),
      });
    }
  }
  return rooms;
}

async function roomInfo(app: App, entry: QueueEntry, suggestedOnly: boolean): Promise<RoomInfo | undefined> {
  const local = summariseRoom(app.rooms, entry.roomId);
  if (local !== undefined) return { summary: local, children: childStatesOf(app, local, suggestedOnly) };
  if (entry.remote !== undefined) {
    const { children_state, ...summary } = entry.remote;
    return { summary, children: children_state };
  }
  return fetchRemote(app, entry, suggestedOnly);
}

/** Ask the child's `via` servers (a few, in order) for its federation hierarchy. */
async function fetchRemote(app: App, entry: QueueEntry, suggestedOnly: boolean): Promise<RoomInfo | undefined> {
  const path = withQuery(`/_matrix/federation/v1/hierarchy/${encodeURIComponent(entry.roomId)}`, { suggested_only: suggestedOnly });
  for (const server of entry.via.filter((s) => s !== app.serverName).slice(0, MAX_VIA_TRIED)) {
    let res: unknown;
    try {
      res = await app.federation.get(server, path, { timeoutMs: REMOTE_TIMEOUT_MS });
    } catch (err) {
      app.log.debug({ room_id: entry.roomId, destination: server, err: (err as Error).message }, "remote hierarchy failed");
      continue;
    }
    const body = asObject(res);
    const room = parseRemoteRoom(body?.room, entry.roomId);
    if (room === undefined) continue;
    const childSummaries = new Map<string, HierarchyRoom>();
    for (const c of Array.isArray(body?.children) ? body.children : []) {
      const parsed = parseRemoteRoom(c);
      if (parsed !== undefined) childSummaries.set(parsed.room_id, parsed);
    }
    const { children_state, ...summary } = room;
    return { summary, children: children_state, childSummaries };
  }
  return undefined;
}

/** A remote room summary, strictly shaped; undefined when unusable. */
function parseRemoteRoom(v: unknown, expectedId?: string): HierarchyRoom | undefined {
  const o = asObject(v);
  if (o === undefined || typeof o.room_id !== "string" || (expectedId !== undefined && o.room_id !== expectedId)) return undefined;
  const s: HierarchyRoom = {
    room_id: o.room_id,
    num_joined_members: typeof o.num_joined_members === "number" ? o.num_joined_members : 0,
    world_readable: o.world_readable === true,
    guest_can_join: o.guest_can_join === true,
    children_state: [],
  };
  for (const k of ["name", "topic", "avatar_url", "canonical_alias", "join_rule", "room_type", "encryption", "room_version"] as const) {
    if (typeof o[k] === "string") s[k] = o[k];
  }
  if (Array.isArray(o.allowed_room_ids)) s.allowed_room_ids = o.allowed_room_ids.filter((x): x is string => typeof x === "string");
  const children: SpaceChildState[] = [];
  for (const c of Array.isArray(o.children_state) ? o.children_state : []) {
    const e = asObject(c);
    const content = asObject(e?.content);
    if (e?.type !== SPACE_CHILD || typeof e.state_key !== "string" || content === undefined || !isValidVia(content.via)) continue;
    if (typeof e.sender !== "string" || typeof e.origin_server_ts !== "number") continue;
    children.push({ type: SPACE_CHILD, state_key: e.state_key, content, sender: e.sender, origin_server_ts: e.origin_server_ts });
  }
  s.children_state = s.room_type === "m.space" ? children.sort(compareChildren) : [];
  return s;
}

function asObject(v: unknown): JsonObject | undefined {
  return isJsonObject(v) ? v : undefined;
}

function walksOf(app: App): Map<string, Walk> {
  let m = walksByApp.get(app);
  if (m === undefined) walksByApp.set(app, (m = new Map()));
  return m;
}

function remember(walks: Map<string, Walk>, walk: Walk): string {
  const now = Date.now();
  for (const [token, w] of walks) {
    if (w.expiresAt >= now && walks.size < MAX_SESSIONS) break;
    walks.delete(token);
  }
  walk.expiresAt = now + SESSION_TTL_MS;
  const token = crypto.randomBytes(18).toString("base64url");
  walks.set(token, walk);
  return token;
}
