/**
 * Shared set-up for the /send integration tests: a real Conflux, a FakeRemote whose user
 * joins a room of a local user, and helpers to build events the way the remote's homeserver
 * would (signed with its key, on top of the room's heads as Conflux holds them, or on top of
 * events the remote built but never sent) and to send transactions.
 */
import type { App } from "../../src/app.js";
import { getRoomVersion, type RoomVersion } from "../../src/events/room-versions.js";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import { authEventTypes } from "../../src/rooms/auth/auth-events-selection.js";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import { StateView } from "../../src/rooms/state-view.js";
import { conflux, FakeRemote } from "../helpers/fake-remote.js";
import type { TestResponse } from "../helpers/http.js";
import type { TestServer } from "../helpers/server.js";
import type { ConfigOverrides } from "../../src/config.js";

export interface BuiltEvent {
  readonly pdu: Pdu;
  readonly eventId: string;
  readonly depth: number;
}

export interface EventSpec {
  readonly type: string;
  readonly stateKey?: string;
  /** Default: the remote's user bob. */
  readonly sender?: string;
  readonly content: JsonObject;
  /** Default: Conflux's forward extremities. */
  readonly prevEvents?: readonly string[];
  /** Default: selected from Conflux's current state. */
  readonly authEvents?: readonly string[];
  readonly roomId?: string;
}

export class SendFixture {
  private txnCounter = 0;
  /** Events built here, sent or not (for depths of unsent prev events). */
  private readonly built = new Map<string, BuiltEvent>();

  private constructor(
    readonly remote: FakeRemote,
    readonly server: TestServer,
    readonly roomId: string,
    readonly version: RoomVersion,
  ) {}

  static async start(opts: { version?: string; overrides?: ConfigOverrides } = {}): Promise<SendFixture> {
    const remote = await FakeRemote.start();
    const server = await conflux([remote], opts.overrides ? { overrides: opts.overrides } : {});
    const version = getRoomVersion(opts.version ?? "12")!;
    const fx = new SendFixture(remote, server, "", version);
    const roomId = await fx.createRoom();
    const joined = new SendFixture(remote, server, roomId, version);
    await joined.join(roomId);
    return joined;
  }

  get app(): App {
    return this.server.server.app;
  }

  get alice(): string {
    return `@alice:${this.server.serverName}`;
  }

  get bob(): string {
    return this.remote.userId("bob");
  }

  /** A public room of alice's on Conflux. */
  async createRoom(): Promise<string> {
    const alice = this.alice;
    const users: Record<string, number> = this.version.creatorsHaveInfinitePower ? {} : { [alice]: 100 };
    const { roomId } = await this.app.rooms.createRoom({
      version: this.version,
      creator: alice,
      createContent: {},
      initialEvents: (): LocalEventSpec[] => [
        { type: "m.room.member", stateKey: alice, sender: alice, content: { membership: "join" } },
        {
          type: "m.room.power_levels",
          stateKey: "",
          sender: alice,
          content: { users, users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0, events: {} },
        },
        { type: "m.room.join_rules", stateKey: "", sender: alice, content: { join_rule: "public" } },
      ],
    });
    return roomId;
  }

  /** bob joins `roomId` through /send; asserts it was accepted. */
  async join(roomId: string): Promise<BuiltEvent> {
    const join = this.build({ roomId, type: "m.room.member", stateKey: this.bob, content: { membership: "join" } });
    const res = await this.send([join.pdu]);
    const body = res.json<{ pdus: Record<string, JsonObject> }>();
    if (res.status !== 200 || JSON.stringify(body.pdus[join.eventId]) !== "{}") {
      throw new Error(`join not accepted: ${res.status} ${res.text}`);
    }
    return join;
  }

  /** Sign an event as the remote would build it. */
  build(spec: EventSpec): BuiltEvent {
    const roomId = spec.roomId ?? this.roomId;
    const storage = this.app.storage;
    const room = storage.rooms.getRoom(roomId)!;
    const heads = storage.rooms.getHeads(room.roomNid);
    const prevs = spec.prevEvents ? [...spec.prevEvents] : storage.events.eventIdsOf(heads.extremities);
    const sender = spec.sender ?? this.bob;
    const state = new StateView(storage, this.app.rooms.loader, heads.stateRoot);
    const auth =
      spec.authEvents ??
      authEventTypes({ type: spec.type, stateKey: spec.stateKey, sender, content: spec.content }, this.version)
        .map((s) => state.get(s.type, s.stateKey)?.eventId)
        .filter((id): id is string => id !== undefined);
    const depth = Math.max(0, ...prevs.map((id) => this.built.get(id)?.depth ?? storage.events.getEvent(id)?.depth ?? 0)) + 1;
    const template: JsonObject = {
      room_id: roomId,
      sender,
      type: spec.type,
      content: spec.content,
      origin_server_ts: Date.now(),
      depth,
      prev_events: prevs,
      auth_events: [...auth],
    };
    if (spec.stateKey !== undefined) template.state_key = spec.stateKey;
    const { pdu, eventId } = this.remote.sign(template, this.version);
    const built = { pdu, eventId, depth };
    this.built.set(eventId, built);
    return built;
  }

  message(body: string, prevEvents?: readonly string[]): BuiltEvent {
    return this.build({ type: "m.room.message", content: { msgtype: "m.text", body }, ...(prevEvents ? { prevEvents } : {}) });
  }

  /** PUT /send/{txnId} from the remote. */
  send(pdus: readonly (Pdu | JsonObject)[], edus: readonly JsonObject[] = [], txnId = this.nextTxnId()): Promise<TestResponse> {
    const body: JsonObject = { origin: this.remote.serverName, origin_server_ts: Date.now(), pdus: pdus as JsonValue[] };
    if (edus.length > 0) body.edus = edus as JsonValue[];
    return this.remote.send(this.server, "PUT", `/_matrix/federation/v1/send/${txnId}`, body);
  }

  nextTxnId(): string {
    return `txn${Date.now()}-${++this.txnCounter}`;
  }

  /** The stored status of an event, or undefined when Conflux does not hold it. */
  status(eventId: string): string | undefined {
    return this.app.storage.events.getEvent(eventId)?.status;
  }

  /** Event IDs of the room's timeline (stream order, backfilled events first). */
  timeline(roomId = this.roomId): string[] {
    const storage = this.app.storage;
    const room = storage.rooms.getRoom(roomId)!;
    const nids = storage.rooms.timeline(room.roomNid, { dir: "f", limit: 1000 }).map((e) => e.nid);
    return storage.events.eventIdsOf(nids);
  }

  /** IDs of the current state of the room. */
  currentStateIds(roomId = this.roomId): string[] {
    const storage = this.app.storage;
    const room = storage.rooms.getRoom(roomId)!;
    return storage.events.eventIdsOf(storage.rooms.currentState(room.roomNid).map((s) => s.nid));
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await this.remote?.stop();
  }
}

/** A promise with its resolve function, to hold a FakeRemote answer until the test says so. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
