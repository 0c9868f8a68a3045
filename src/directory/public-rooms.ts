/**
 * Listing our published room directory (client `GET/POST /publicRooms` without `server`,
 * federation `GET/POST /publicRooms`; public_rooms.yaml, list_public_rooms.yaml,
 * public_rooms_response.yaml).
 *
 * - Which rooms: those published here whose state we hold and that a visitor could do something
 *   with: join rule `public`, `knock` or `knock_restricted`, or a `world_readable` history.
 *   client-server-api "Published room directory" lets servers filter like this ("for instance,
 *   by automatically excluding rooms with `invite` join rules that are not `world_readable`").
 * - Order (ours to choose since 1.19; "largest first or another stable order is
 *   recommended"): most joined members first, then room ID.
 * - Filter: `generic_search_term` (case-insensitive substring of the name, topic or canonical
 *   alias), `room_types` (`null` in the list means rooms without a type).
 * - Pagination: keyset tokens. `next_batch` continues strictly after the last room of the page,
 *   `prev_batch` ends strictly before its first, each by (members, room ID), so a room whose
 *   member count changes between pages is neither skipped twice nor shown on every page.
 * - `total_room_count_estimate`: rooms matching the filter.
 * - Third-party networks: we bridge none, so a request for one `third_party_instance_id`
 *   (without `include_all_networks`) lists nothing.
 */
import { Errors } from "../errors.js";
import type { VisibilitySource } from "../rooms/visibility/source.js";
import { publishedRoomIds } from "./published-rooms.js";
import { summariseRoom, type PublicRoomsChunk, type RoomSummary } from "./room-summary.js";

export interface PublicRoomsQuery {
  /** 0 or absent: everything (up to `MAX_PAGE`). */
  readonly limit?: number;
  readonly since?: string;
  readonly genericSearchTerm?: string;
  /** Absent: every type. */
  readonly roomTypes?: readonly (string | null)[];
  readonly includeAllNetworks?: boolean;
  readonly thirdPartyInstanceId?: string;
}

export interface PublicRoomsResponse {
  chunk: PublicRoomsChunk[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate: number;
}

/** A page never holds more than this, whatever `limit` says (there is a `next_batch`). */
export const MAX_PAGE = 1000;

const LISTED_JOIN_RULES: ReadonlySet<string> = new Set(["public", "knock", "knock_restricted"]);

interface Token {
  readonly dir: "n" | "p";
  readonly members: number;
  readonly roomId: string;
}

export function listPublicRooms(src: VisibilitySource, q: PublicRoomsQuery): PublicRoomsResponse {
  const since = q.since === undefined || q.since === "" ? undefined : parseToken(q.since);
  if (q.thirdPartyInstanceId !== undefined && q.includeAllNetworks !== true) return { chunk: [], total_room_count_estimate: 0 };

  const term = q.genericSearchTerm?.trim().toLowerCase() || undefined;
  const rooms: RoomSummary[] = [];
  for (const roomId of publishedRoomIds(src.storage)) {
    const s = summariseRoom(src, roomId);
    if (s === undefined || !isListed(s)) continue;
    if (q.roomTypes !== undefined && !q.roomTypes.includes(s.room_type ?? null)) continue;
    if (term !== undefined && !matches(s, term)) continue;
    rooms.push(s);
  }
  rooms.sort(compareRooms);

  const pageSize = q.limit === undefined || q.limit <= 0 ? MAX_PAGE : Math.min(q.limit, MAX_PAGE);
  let start: number;
  let end: number;
  if (since === undefined) {
    start = 0;
    end = Math.min(rooms.length, pageSize);
  } else if (since.dir === "n") {
    start = firstAfter(rooms, since);
    end = Math.min(rooms.length, start + pageSize);
  } else {
    end = firstAfter(rooms, since, true);
    start = Math.max(0, end - pageSize);
  }
  const page = rooms.slice(start, end);
  const out: PublicRoomsResponse = { chunk: page.map(toChunk), total_room_count_estimate: rooms.length };
  if (end < rooms.length && page.length > 0) out.next_batch = makeToken("n", page[page.length - 1]!);
  if (start > 0 && page.length > 0) out.prev_batch = makeToken("p", page[0]!);
  return out;
}

function isListed(s: RoomSummary): boolean {
  return s.world_readable || (s.join_rule !== undefined && LISTED_JOIN_RULES.has(s.join_rule));
}

function matches(s: RoomSummary, term: string): boolean {
  return [s.name, s.topic, s.canonical_alias].some((f) => f !== undefined && f.toLowerCase().includes(term));
}

function compareRooms(a: RoomSummary, b: RoomSummary): number {
  return compareKey(a.num_joined_members, a.room_id, b.num_joined_members, b.room_id);
}

function compareKey(am: number, ar: string, bm: number, br: string): number {
  if (am !== bm) return bm - am;
  return ar < br ? -1 : ar > br ? 1 : 0;
}

/**
 * Index of the first room strictly after the token's key in list order; with `atOrAfter`, of
 * the first room at or after it (the exclusive end of a backwards page).
 */
function firstAfter(rooms: readonly RoomSummary[], t: Token, atOrAfter = false): number {
  let lo = 0;
  let hi = rooms.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = compareKey(rooms[mid]!.num_joined_members, rooms[mid]!.room_id, t.members, t.roomId);
    if (c < 0 || (c === 0 && !atOrAfter)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The chunk fields only (room_summary extras stay out of /publicRooms). */
function toChunk(s: RoomSummary): PublicRoomsChunk {
  const { allowed_room_ids: _a, encryption: _e, room_version: _v, ...chunk } = s;
  return chunk;
}

function makeToken(dir: "n" | "p", s: RoomSummary): string {
  return Buffer.from(JSON.stringify([dir, s.num_joined_members, s.room_id])).toString("base64url");
}

function parseToken(raw: string): Token {
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (Array.isArray(v) && (v[0] === "n" || v[0] === "p") && Number.isSafeInteger(v[1]) && typeof v[2] === "string") {
      return { dir: v[0], members: v[1] as number, roomId: v[2] };
    }
  } catch {
    // fall through
  }
  throw Errors.invalidParam("Unknown pagination token");
}
