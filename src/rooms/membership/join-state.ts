/**
 * The body of a send_join answer (joins-v2.yaml 200; removed-in-v1.18/joins-v1.yaml):
 *
 * - `state`: "The resolved current room state prior to the join event": the state map at the
 *   join event's `stateBefore` root, as full PDUs;
 * - `auth_chain`: "All events in the auth chain for the new join event, as well as those in the
 *   auth chains for any events returned in `state`", ordered so that every event comes after
 *   its auth events (our `authOrder`), which lets the joining server check them in one pass;
 * - with `omit_members=true` (Matrix 1.6): `state` without `m.room.member` events except, when
 *   the room has no name and no canonical alias, the heroes' ("the first 5 members of the room,
 *   ordered by stream ordering, which are joined or invited"; else the left and banned), then
 *   `members_omitted: true` and `servers_in_room` ("the servers active in the room … before the
 *   join"); events returned in `state` are left out of `auth_chain` ("may be omitted").
 *
 * Speed (a 100k-member room must answer in under a second): the state comes from the
 * persistent map (no per-event state copies); PDUs are the stored JSON text spliced into the
 * answer, never parsed and re-serialised; the auth chain is the shared walk of auth-chain.ts,
 * which reads only `auth_events` out of each PDU's text and looks each referenced ID up once.
 * Measured on the 2-core dev VM, 100k members: state + auth chain 0.6 s (0.9 s for the first
 * call in a fresh process), the body 40 ms (60 MB); omit_members 1–3 ms (the non-member state
 * comes from the flat current-state index, the heroes from the head of the timeline).
 */
import { stateKey } from "../../events/types.js";
import type { EventRecord } from "../../storage/events.js";
import { prefixRange } from "../../storage/keys.js";
import type { NodeId } from "../../storage/state-node.js";
import { MEMBER } from "../auth/types.js";
import { AuthChainWalk, inAuthOrder } from "../auth-chain.js";
import type { RoomContext } from "../room-context.js";
import { HeroPicker, HEROES, isNamedRoom } from "./heroes.js";

const MEMBER_PREFIX = stateKey(MEMBER, "");
/** Timeline events looked at for heroes before falling back to the membership scan. */
const HERO_WALK_LIMIT = 1000;

export interface JoinStateOptions {
  readonly omitMembers: boolean;
}

export interface JoinState {
  /** Full PDUs as their stored UTF-8 JSON bytes (a 100k-member answer is ~60 MB: no strings). */
  readonly state: Buffer[];
  readonly authChain: Buffer[];
}

/** `state` and `auth_chain` for the accepted join event `join` (see the file comment). */
export function joinStateAndAuthChain(ctx: RoomContext, join: EventRecord, opts: JoinStateOptions): JoinState {
  const { storage } = ctx;
  const root = join.stateBefore;
  if (root === null) throw new Error(`join event ${join.eventId} has no state before it`);

  const stateNids = opts.omitMembers ? stateWithoutMembers(ctx, root, join) : allState(ctx, root);
  const walk = new AuthChainWalk(ctx);
  const state: Buffer[] = [];
  for (const nid of stateNids) {
    const rec = storage.events.getEventByNid(nid);
    if (!rec) continue;
    state.push(rec.pduBytes);
    walk.start(rec);
  }
  walk.start(join);
  let chain = walk.finish();
  if (opts.omitMembers) {
    const inState = new Set(stateNids);
    chain = chain.filter((rec) => !inState.has(rec.nid));
  }
  return { state, authChain: inAuthOrder(chain).map((rec) => rec.pduBytes) };
}

/**
 * joins-v2.yaml `servers_in_room`: "the servers active in the room (ie, those with joined
 * members) before the join": today's joined servers, without the joining server when the join
 * is the only reason it counts (no other member of it joined, and the joining user was not
 * joined before).
 */
export function serversInRoomBefore(ctx: RoomContext, origin: string, join: EventRecord): string[] {
  const servers = ctx.storage.rooms.joinedServers(ctx.roomNid);
  const originMembers = ctx.storage.store.dbs.roomHosts.get([ctx.roomNid, origin]) ?? 0;
  if (originMembers > 1 || join.stateBefore === null) return servers;
  const before = ctx.storage.state.get(join.stateBefore, stateKey(MEMBER, join.pdu.state_key ?? ""));
  const wasJoined = before !== undefined && ctx.loader.recordByNid(before)?.pdu.content["membership"] === "join";
  return wasJoined ? servers : servers.filter((s) => s !== origin);
}

/**
 * The answer's bytes; `event` is the join event we signed (restricted joins). The pieces are
 * stored JSON bytes, concatenated once: no serialisation, no JavaScript strings for the PDUs.
 * `wrap` puts text around the object (the v1 endpoint answers `[200, {...}]`).
 */
export function sendJoinBody(
  parts: {
    readonly state: readonly Uint8Array[];
    readonly authChain: readonly Uint8Array[];
    readonly event?: Uint8Array;
    readonly serversInRoom?: readonly string[];
  },
  wrap: { readonly before: string; readonly after: string } = { before: "", after: "" },
): Buffer {
  const out: Uint8Array[] = [];
  const text = (t: string) => out.push(Buffer.from(t, "utf8"));
  const list = (items: readonly Uint8Array[]) => {
    items.forEach((item, i) => {
      if (i > 0) out.push(COMMA);
      out.push(item);
    });
  };
  text(`${wrap.before}{"auth_chain":[`);
  list(parts.authChain);
  text(`],"state":[`);
  list(parts.state);
  text("]");
  if (parts.event !== undefined) {
    text(`,"event":`);
    out.push(parts.event);
  }
  if (parts.serversInRoom !== undefined) text(`,"members_omitted":true,"servers_in_room":${JSON.stringify(parts.serversInRoom)}`);
  text(`}${wrap.after}`);
  return Buffer.concat(out);
}

const COMMA = Buffer.from(",");

function allState(ctx: RoomContext, root: NodeId): number[] {
  const out: number[] = [];
  for (const [, nid] of ctx.storage.state.entries(root)) out.push(nid);
  return out;
}

/**
 * The non-member state before the join, plus the heroes' member events. When the join is the
 * latest change to the room's state (the usual case: it was accepted a moment ago), the
 * non-member slots before it are today's, read from the flat current-state index around the
 * `m.room.member` range, so the cost does not grow with the member count. Otherwise the state
 * map is walked.
 */
function stateWithoutMembers(ctx: RoomContext, root: NodeId, join: EventRecord): number[] {
  const out: number[] = [];
  if (ctx.storage.rooms.getHeads(ctx.roomNid).stateRoot === join.stateAfter) {
    const index = ctx.storage.store.dbs.roomState;
    const member = prefixRange([ctx.roomNid, MEMBER]);
    for (const { value } of index.getRange({ start: [ctx.roomNid], end: member.start })) out.push(value);
    for (const { value } of index.getRange({ start: member.end, end: [ctx.roomNid + 1] })) out.push(value);
  } else {
    for (const [key, nid] of ctx.storage.state.entries(root)) if (!key.startsWith(MEMBER_PREFIX)) out.push(nid);
  }
  const named = isNamedRoom((type) => {
    const nid = ctx.storage.state.get(root, stateKey(type, ""));
    return nid === undefined ? undefined : ctx.loader.recordByNid(nid)?.pdu.content;
  });
  if (named) return out;
  for (const hero of heroes(ctx, join.pdu.state_key)) {
    const nid = ctx.storage.state.get(root, stateKey(MEMBER, hero));
    if (nid !== undefined) out.push(nid);
  }
  return out;
}

/**
 * sync.yaml `m.heroes`: "the first 5 members of the room, ordered by stream ordering, which are
 * joined or invited" — the members whose current membership event came first — never the
 * joining user; when there are none, the left and banned ones.
 *
 * The room's timeline is walked from its start, keeping member events that are still their
 * user's current membership, so the cost is the few events before the first five stable
 * members, not the member count. Only when that walk gives up (long-lived rooms whose early
 * members all moved on) is the whole membership index scanned, which orders by the member
 * event's nid (allocated in arrival order).
 */
function heroes(ctx: RoomContext, joiner: string | undefined): string[] {
  const found: string[] = [];
  let from: number | undefined;
  let scanned = 0;
  for (;;) {
    const page = ctx.storage.rooms.timeline(ctx.roomNid, { dir: "f", limit: 100, ...(from !== undefined ? { from } : {}) });
    for (const entry of page) {
      from = entry.streamOrdering;
      const ev = ctx.loader.byNid(entry.nid);
      if (!ev || ev.type !== MEMBER || ev.stateKey === undefined || ev.stateKey === joiner || found.includes(ev.stateKey)) continue;
      const current = ctx.storage.rooms.membership(ctx.roomNid, ev.stateKey);
      if (current?.nid !== entry.nid || (current.membership !== "join" && current.membership !== "invite")) continue;
      found.push(ev.stateKey);
      if (found.length === HEROES) return found;
    }
    scanned += page.length;
    if (page.length < 100) return found.length > 0 ? found : heroesByScan(ctx, joiner);
    if (scanned >= HERO_WALK_LIMIT) return heroesByScan(ctx, joiner);
  }
}

function heroesByScan(ctx: RoomContext, joiner: string | undefined): string[] {
  const picker = new HeroPicker(joiner);
  for (const m of ctx.storage.rooms.members(ctx.roomNid)) picker.add(m);
  return picker.heroes();
}
