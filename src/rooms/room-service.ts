/**
 * The rooms engine as the rest of the server sees it: room actors by room ID (created on
 * demand, evicted when idle), room creation, and the listeners other components attach to.
 *
 * Handlers ask this service to change a room; they read rooms straight from storage.
 */
import crypto from "node:crypto";
import type { CryptoPool } from "../crypto/pool.js";
import { toRoomEvent } from "../events/event.js";
import { roomIdOfCreateEvent } from "../events/ids.js";
import type { RoomVersion } from "../events/room-versions.js";
import type { JsonObject, Pdu } from "../events/types.js";
import type { Storage } from "../storage/storage.js";
import type { WriteBatch } from "../storage/write-batch.js";
import { Errors } from "../errors.js";
import { EventLoader } from "./event-loader.js";
import { newCarriedEventId, type LocalEventSpec } from "./local/build-event.js";
import { receiveEvents, type PersistedInfo } from "./pipeline/receive-events.js";
import { ActorRegistry } from "./registry.js";
import { RoomActor, type LocalEventResult } from "./room-actor.js";
import type { RoomContext } from "./room-context.js";
import type { RoomDeps, RoomHooks } from "./room-deps.js";

export interface RoomServiceOptions {
  storage: Storage;
  pool: CryptoPool;
  serverName: string;
  mailboxCapacity?: number;
  maxIdleActors?: number;
  actorIdleMs?: number;
}

export interface CreateRoomSpec {
  readonly version: RoomVersion;
  readonly creator: string;
  /** `m.room.create` content; `room_version` (and `creator` where the version needs it) are added. */
  readonly createContent: JsonObject;
  /** The events that follow the create event, in order (the client API's preset sequence). */
  readonly initialEvents: (roomId: string) => LocalEventSpec[];
}

type PersistListener = (w: WriteBatch, ctx: RoomContext, info: PersistedInfo, origin: string | undefined) => void;
type StoredListener = PersistListener;
type CommitListener = (ctx: RoomContext, infos: readonly PersistedInfo[], origin: string | undefined) => void;

export class RoomService {
  readonly storage: Storage;
  readonly loader: EventLoader;
  readonly serverName: string;
  private readonly deps: RoomDeps;
  private readonly registry: ActorRegistry<RoomActor>;
  private readonly persistListeners: PersistListener[] = [];
  private readonly storedListeners: StoredListener[] = [];
  private readonly commitListeners: CommitListener[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(opts: RoomServiceOptions) {
    this.storage = opts.storage;
    this.serverName = opts.serverName;
    this.loader = new EventLoader(opts.storage);
    const hooks: RoomHooks = {
      onStored: (w, ctx, info, origin) => {
        for (const l of this.storedListeners) l(w, ctx, info, origin);
      },
      onPersisted: (w, ctx, info, origin) => {
        for (const l of this.persistListeners) l(w, ctx, info, origin);
      },
      onCommitted: (ctx, infos, origin) => {
        for (const l of this.commitListeners) l(ctx, infos, origin);
      },
    };
    this.deps = {
      storage: opts.storage,
      loader: this.loader,
      pool: opts.pool,
      serverName: opts.serverName,
      mailboxCapacity: opts.mailboxCapacity ?? 256,
      hooks,
    };
    this.registry = new ActorRegistry((roomId) => new RoomActor(roomId, this.deps), {
      maxActors: opts.maxIdleActors ?? 10_000,
      idleMs: opts.actorIdleMs ?? 5 * 60_000,
    });
    this.sweepTimer = setInterval(() => this.registry.sweep(), 60_000);
    this.sweepTimer.unref();
  }

  /** Side effects of every stored event that must commit with it, inside the storing write. */
  onStored(listener: StoredListener): void {
    this.storedListeners.push(listener);
  }

  /** Durable side effects for events that go to other servers, inside the storing write. */
  onPersisted(listener: PersistListener): void {
    this.persistListeners.push(listener);
  }

  /** After every commit that stored events. */
  onCommitted(listener: CommitListener): void {
    this.commitListeners.push(listener);
  }

  actor(roomId: string): RoomActor {
    return this.registry.get(roomId);
  }

  /** The room's version, or undefined when we know nothing of the room. */
  version(roomId: string): RoomVersion | undefined {
    const room = this.storage.rooms.getRoom(roomId);
    return room ? this.loader.roomVersion(room.roomNid) : undefined;
  }

  /** Room facts for readers (no actor involved). */
  context(roomId: string): RoomContext | undefined {
    const room = this.storage.rooms.getRoom(roomId);
    if (!room) return undefined;
    return {
      storage: this.storage,
      loader: this.loader,
      roomId,
      roomNid: room.roomNid,
      version: this.loader.roomVersion(room.roomNid),
      serverName: this.serverName,
    };
  }

  /** Send one local event (client API): built on the current extremities, signed, stored. */
  send(roomId: string, spec: LocalEventSpec): Promise<LocalEventResult> {
    if (!this.storage.rooms.getRoom(roomId)) return Promise.reject(Errors.notFound(`Unknown room ${roomId}`));
    return this.actor(roomId).send(spec);
  }

  /**
   * Create a room of ours: sign the create event (its ID is the room ID in v12), register the
   * room and store the create event in one write, then the initial events in order, all within
   * the new room's actor.
   */
  async createRoom(spec: CreateRoomSpec): Promise<{ roomId: string; events: LocalEventResult[] }> {
    const { version } = spec;
    const content: JsonObject = { ...spec.createContent, room_version: version.id };
    if (version.createHasCreator && content.creator === undefined) content.creator = spec.creator;
    const template: JsonObject = {
      type: "m.room.create",
      state_key: "",
      sender: spec.creator,
      content,
      origin_server_ts: Date.now(),
      depth: 1,
      prev_events: [],
      auth_events: [],
    };
    let roomId: string | undefined;
    if (!version.roomIdFromCreateEvent) {
      roomId = `!${crypto.randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}:${this.serverName}`;
      template.room_id = roomId;
    }
    if (version.eventIdFormat === "carried") template.event_id = newCarriedEventId(this.serverName);
    const [signed] = await this.deps.pool.signEvents([template], [version.id]);
    const createId = signed!.eventId;
    roomId ??= roomIdOfCreateEvent(createId);
    const id = roomId;
    const actor = this.actor(id);
    return actor.exclusive(async () => {
      const infos: PersistedInfo[] = [];
      let ctx: RoomContext | undefined;
      const [outcome] = await this.storage.write((w) => {
        if (this.storage.rooms.roomNidOf(id, w) !== undefined) throw Errors.roomInUse(`Room ${id} already exists`);
        this.storage.rooms.putRoom(w, { roomId: id, version: version.id, createEventId: createId, createdTs: Date.now(), isLocal: true });
        ctx = actor.context(w);
        const ev = toRoomEvent(signed!.pdu, version, createId, id);
        return receiveEvents(ctx, w, [{ event: ev }], {
          onPersisted: (wb, info) => {
            infos.push(info);
            this.deps.hooks.onStored?.(wb, ctx!, info, undefined);
            this.deps.hooks.onPersisted?.(wb, ctx!, info, undefined);
          },
        });
      });
      if (!outcome || outcome.status !== "accepted") throw Errors.internal(`create event not accepted: ${JSON.stringify(outcome)}`);
      this.deps.hooks.onCommitted?.(ctx!, infos, undefined);
      const events: LocalEventResult[] = [{ eventId: createId, pdu: signed!.pdu as Pdu, nid: outcome.nid, streamOrdering: outcome.streamOrdering }];
      for (const next of spec.initialEvents(id)) events.push(await actor.sendNow(next));
      return { roomId: id, events };
    });
  }

  /** Wait for every actor's queued work (graceful shutdown). */
  async drain(): Promise<void> {
    await this.registry.drain();
  }

  /** Mailbox depths, deepest first (metrics). */
  mailboxDepths(limit = 10): { roomId: string; depth: number }[] {
    return this.registry.depths(limit);
  }

  get actorCount(): number {
    return this.registry.size;
  }

  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
