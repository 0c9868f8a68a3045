/**
 * In-memory room DAGs for state-resolution tests: a builder producing `RoomEvent`s with
 * readable names, a `StateResProvider` over them (optionally with a shuffled persist order),
 * and a Synapse-style graph simulator that computes the state after every event by resolving
 * its prev events' states and picks each event's auth events from the state before it.
 */
import { type RoomVersion, getRoomVersion } from "../../../src/events/room-versions.js";
import { type Pdu, type JsonObject, type RoomEvent, type StateKey, stateKey } from "../../../src/events/types.js";
import { authEventTypes } from "../../../src/rooms/auth/auth-events-selection.js";
import { resolveState } from "../../../src/rooms/state-res/resolve.js";
import type { StateMap, StateResProvider } from "../../../src/rooms/state-res/types.js";

export const ALICE = "@alice:example.com";
export const BOB = "@bob:example.com";
export const CHARLIE = "@charlie:example.com";
export const EVELYN = "@evelyn:example.com";
export const ZARA = "@zara:example.com";

export const JOIN = { membership: "join" } as const;
export const LEAVE = { membership: "leave" } as const;
export const BAN = { membership: "ban" } as const;
export const INVITE = { membership: "invite" } as const;

export const PL_SLOT = stateKey("m.room.power_levels", "");
export const JR_SLOT = stateKey("m.room.join_rules", "");
export const TOPIC_SLOT = stateKey("m.room.topic", "");
export const memberSlot = (user: string): StateKey => stateKey("m.room.member", user);

export interface EventSpec {
  name: string;
  type: string;
  stateKey?: string;
  sender: string;
  content?: JsonObject;
  /** Names of auth events (the v12 create event is implicit and must not be listed). */
  auth?: string[];
  /** Names of prev events; by default the previously added event (a linear history). */
  prev?: string[];
  ts?: number;
}

/** A seeded PRNG (mulberry32) so shuffles are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export class RoomFixture {
  readonly version: RoomVersion;
  readonly roomId: string;
  private readonly byId = new Map<string, RoomEvent>();
  private readonly insertion: string[] = [];
  private nextTs = 0;
  readonly rejected = new Set<string>();

  constructor(versionId: string) {
    const v = getRoomVersion(versionId);
    if (!v) throw new Error(`unknown room version ${versionId}`);
    this.version = v;
    this.roomId = v.roomIdFromCreateEvent ? `!${this.id("CREATE").slice(1)}` : "!room:example.com";
  }

  /** The event ID for a name: `$NAME:example.com` where IDs are carried (v1/v2), else `$NAME`. */
  id(name: string): string {
    return this.version.eventIdFormat === "carried" ? `$${name}:example.com` : `$${name}`;
  }

  ev(name: string): RoomEvent {
    const e = this.byId.get(this.id(name));
    if (!e) throw new Error(`no event ${name}`);
    return e;
  }

  get events(): readonly RoomEvent[] {
    return this.insertion.map((id) => this.byId.get(id)!);
  }

  /** The create event, named CREATE, with the content the version's create rules want. */
  create(sender: string, extra: JsonObject = {}): RoomEvent {
    const content: JsonObject = { room_version: this.version.id, ...extra };
    if (this.version.createHasCreator) content["creator"] = sender;
    return this.add({ name: "CREATE", type: "m.room.create", stateKey: "", sender, content, auth: [], prev: [] });
  }

  add(spec: EventSpec): RoomEvent {
    const eventId = this.id(spec.name);
    if (this.byId.has(eventId)) throw new Error(`duplicate event ${spec.name}`);
    const isCreate = spec.type === "m.room.create";
    const auth = (spec.auth ?? []).map((n) => this.id(n));
    if (!isCreate && this.version.createInAuthEvents && !auth.includes(this.id("CREATE"))) auth.unshift(this.id("CREATE"));
    const prevIds = spec.prev?.map((n) => this.id(n));
    const last = this.insertion[this.insertion.length - 1];
    const prev = prevIds ?? (last !== undefined ? [last] : []);
    for (const a of [...auth, ...prev]) if (!this.byId.has(a)) throw new Error(`${spec.name}: unknown event ${a}`);
    const depth = 1 + Math.max(0, ...[...prev, ...auth].map((a) => this.byId.get(a)!.depth));
    const ts = spec.ts ?? this.nextTs++;
    const content = spec.content ?? {};
    const pdu: Pdu = {
      sender: spec.sender,
      origin_server_ts: ts,
      type: spec.type,
      content,
      prev_events: prev,
      auth_events: auth,
      depth,
      hashes: { sha256: "AAAA" },
      signatures: {},
    };
    if (!(isCreate && this.version.roomIdFromCreateEvent)) pdu.room_id = this.roomId;
    if (this.version.eventIdFormat === "carried") pdu.event_id = eventId;
    if (spec.stateKey !== undefined) pdu.state_key = spec.stateKey;
    const ev: RoomEvent = {
      eventId,
      roomId: this.roomId,
      type: spec.type,
      stateKey: spec.stateKey,
      sender: spec.sender,
      content,
      prevEvents: prev,
      authEvents: auth,
      depth,
      originServerTs: ts,
      redacts: undefined,
      pdu,
    };
    this.byId.set(eventId, ev);
    this.insertion.push(eventId);
    return ev;
  }

  /** A state map of the named events. */
  state(...names: string[]): Map<StateKey, string> {
    const out = new Map<StateKey, string>();
    for (const n of names) {
      const e = this.ev(n);
      out.set(stateKey(e.type, e.stateKey!), e.eventId);
    }
    return out;
  }

  /**
   * A provider over the events. With a seed, persist order is a random topological order of
   * the auth DAG (still honouring "auth events come first"), and lookups see the events in a
   * shuffled map, so tests can check the result does not depend on insertion order.
   */
  provider(seed?: number): StateResProvider {
    let ids = this.insertion;
    if (seed !== undefined) ids = randomTopologicalOrder(this.insertion.map((id) => this.byId.get(id)!), rng(seed));
    const order = new Map(ids.map((id, i) => [id, i]));
    const events = new Map(ids.map((id) => [id, this.byId.get(id)!]));
    return {
      getEvent: (id) => events.get(id),
      isRejected: (id) => this.rejected.has(id),
      authOrder: (id) => {
        const o = order.get(id);
        if (o === undefined) throw new Error(`authOrder of unknown event ${id}`);
        return o;
      },
    };
  }
}

/** Kahn's algorithm over auth edges (plus the implicit v12 create), picking ready events at random. */
function randomTopologicalOrder(events: RoomEvent[], random: () => number): string[] {
  const ids = new Set(events.map((e) => e.eventId));
  const waiting = new Map<string, number>();
  const children = new Map<string, string[]>();
  const createId = events.find((e) => e.type === "m.room.create")?.eventId;
  for (const e of events) {
    const parents = new Set(e.authEvents.filter((a) => ids.has(a)));
    if (createId && e.eventId !== createId) parents.add(createId);
    waiting.set(e.eventId, parents.size);
    for (const p of parents) children.set(p, [...(children.get(p) ?? []), e.eventId]);
  }
  const ready = events.filter((e) => waiting.get(e.eventId) === 0).map((e) => e.eventId);
  const out: string[] = [];
  while (ready.length > 0) {
    const i = Math.floor(random() * ready.length);
    const id = ready.splice(i, 1)[0]!;
    out.push(id);
    for (const c of children.get(id) ?? []) {
      const n = waiting.get(c)! - 1;
      waiting.set(c, n);
      if (n === 0) ready.push(c);
    }
  }
  return out;
}

/** A node of a simulated graph: an event without auth/prev events (the simulator picks them). */
export type NodeSpec = Omit<EventSpec, "auth" | "prev" | "ts">;

/** The room every simulated scenario starts with (Alice creates; Bob, Charlie, Zara join). */
export function initialNodes(version: RoomVersion): NodeSpec[] {
  const pl: JsonObject = version.creatorsHaveInfinitePower ? { users: {} } : { users: { [ALICE]: 100 } };
  return [
    { name: "CREATE", type: "m.room.create", stateKey: "", sender: ALICE },
    { name: "IMA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN },
    { name: "IPOWER", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: pl },
    { name: "IJR", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" } },
    { name: "IMB", type: "m.room.member", stateKey: BOB, sender: BOB, content: JOIN },
    { name: "IMC", type: "m.room.member", stateKey: CHARLIE, sender: CHARLIE, content: JOIN },
    { name: "IMZ", type: "m.room.member", stateKey: ZARA, sender: ZARA, content: JOIN },
    { name: "START", type: "m.room.message", sender: ZARA, content: {} },
    { name: "END", type: "m.room.message", sender: ZARA, content: {} },
  ];
}

/** prev-event chains of the initial room, newest first. */
export const INITIAL_EDGES = ["START", "IMZ", "IMC", "IMB", "IJR", "IPOWER", "IMA", "CREATE"];

export interface Simulation {
  room: RoomFixture;
  /** State after each node. */
  stateAfter: Map<string, Map<StateKey, string>>;
  /** The prev-event names of each node. */
  prevs: Map<string, string[]>;
}

/**
 * Builds the graph: `edges` are prev-event chains, newest first (`["END", "B", "A"]` means END
 * follows B, B follows A). Nodes are processed in topological order, ties by name; each gets
 * the next origin_server_ts, the state before it (its single prev's state, or the resolution of
 * several), and as auth events the slots of `authEventTypes` present in that state.
 */
export function simulate(versionId: string, nodes: NodeSpec[], edges: string[][]): Simulation {
  const room = new RoomFixture(versionId);
  const all = [...initialNodes(room.version), ...nodes];
  const specs = new Map(all.map((n) => [n.name, n]));
  const prevs = new Map<string, Set<string>>(all.map((n) => [n.name, new Set()]));
  for (const chain of [INITIAL_EDGES, ...edges]) {
    for (let i = 0; i + 1 < chain.length; i++) prevs.get(chain[i]!)!.add(chain[i + 1]!);
  }

  const done = new Set<string>();
  const stateAfter = new Map<string, Map<StateKey, string>>();
  while (done.size < all.length) {
    const next = [...specs.keys()].filter((n) => !done.has(n) && [...prevs.get(n)!].every((p) => done.has(p))).sort()[0];
    if (next === undefined) throw new Error("cycle in scenario edges");
    const spec = specs.get(next)!;
    const prevNames = [...prevs.get(next)!].sort();
    const before: Map<StateKey, string> =
      prevNames.length === 0
        ? new Map()
        : prevNames.length === 1
          ? new Map(stateAfter.get(prevNames[0]!)!)
          : resolveState(room.version, prevNames.map((p) => stateAfter.get(p)!), room.provider());

    const content = spec.type === "m.room.create" ? createContent(room.version, spec) : spec.content ?? {};
    const auth: string[] = [];
    if (spec.type !== "m.room.create") {
      for (const t of authEventTypes({ ...spec, stateKey: spec.stateKey, content }, room.version)) {
        const id = before.get(stateKey(t.type, t.stateKey));
        if (id !== undefined) auth.push(nameOf(id));
      }
    }
    const ev = room.add({ ...spec, content, auth, prev: prevNames });
    const after = new Map(before);
    if (ev.stateKey !== undefined) after.set(stateKey(ev.type, ev.stateKey), ev.eventId);
    stateAfter.set(next, after);
    done.add(next);
  }
  return { room, stateAfter, prevs: new Map([...prevs].map(([k, v]) => [k, [...v].sort()])) };
}

function createContent(version: RoomVersion, spec: NodeSpec): JsonObject {
  const content: JsonObject = { room_version: version.id, ...(spec.content ?? {}) };
  if (version.createHasCreator) content["creator"] = spec.sender;
  return content;
}

/** The fixture name of an event ID (`$NAME` or `$NAME:example.com`). */
export function nameOf(eventId: string): string {
  return eventId.slice(1).replace(/:example\.com$/, "");
}

/** A state map rendered as `{slot: name}` with readable slots, for assertions. */
export function named(state: StateMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [slot, id] of [...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out[slot.replace("\u0000", "|")] = nameOf(id);
  }
  return out;
}
