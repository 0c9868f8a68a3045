/**
 * One room's actor: every change to the room goes through its mailbox, so no two changes to a
 * room interleave (DESIGN.md "One writer per room").
 *
 * ```
 *  federation /send ─┐                                   ┌─ storage.write(w => receiveEvents)
 *  send_join/leave…  ├─► mailbox (bounded, serial) ─► job ┤    one atomic, durable commit
 *  client events    ─┘                                   └─ then listeners (sync, fan-out)
 * ```
 *
 * Lock order: room actor → LMDB write. A job awaits its own commit before the next job starts,
 * and a write function never calls back into an actor. Reads (`/event`, `/sync`, …) never go
 * through here.
 */
import { toRoomEvent } from "../events/event.js";
import type { RoomVersion } from "../events/room-versions.js";
import type { JsonObject, Pdu } from "../events/types.js";
import { Errors } from "../errors.js";
import type { WriteBatch } from "../storage/write-batch.js";
import { checkAuthRules } from "./auth/check-auth.js";
import { authorisingServer } from "./auth/restricted-join.js";
import { buildEventTemplate, type LocalEventSpec } from "./local/build-event.js";
import { Mailbox } from "./mailbox.js";
import { receiveEvents, type EventOutcome, type IncomingEvent, type PersistedInfo } from "./pipeline/receive-events.js";
import type { Actor } from "./registry.js";
import type { RoomContext } from "./room-context.js";
import type { RoomDeps } from "./room-deps.js";
import { StateView } from "./state-view.js";

export interface LocalEventResult {
  readonly eventId: string;
  readonly pdu: Pdu;
  readonly nid: number;
  readonly streamOrdering: number | undefined;
}

export class RoomActor implements Actor {
  readonly mailbox: Mailbox;

  constructor(
    readonly roomId: string,
    private readonly deps: RoomDeps,
  ) {
    this.mailbox = new Mailbox(roomId, deps.mailboxCapacity);
  }

  /** Run `job` with exclusive write access to this room. */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.mailbox.enqueue(job);
  }

  /** Remote events that passed checks 1–3 (format, signatures, hashes): checks 4–7, persist. */
  receive(events: readonly IncomingEvent[], origin?: string): Promise<EventOutcome[]> {
    return this.exclusive(() => this.receiveNow(events, origin));
  }

  /** `receive`, for callers already inside this actor's job. */
  async receiveNow(events: readonly IncomingEvent[], origin?: string, fanOut = false): Promise<EventOutcome[]> {
    const ctx = this.context();
    const infos: PersistedInfo[] = [];
    const outcomes = await this.deps.storage.write((w) =>
      receiveEvents(ctx, w, events, {
        onPersisted: (wb, info) => {
          infos.push(info);
          this.deps.hooks.onStored?.(wb, ctx, info, origin);
          // Only accepted events go to other servers; a refused handshake event stays here.
          if (fanOut && info.status === "accepted") this.deps.hooks.onPersisted?.(wb, ctx, info, origin);
        },
      }),
    );
    this.deps.hooks.onCommitted?.(ctx, infos, origin);
    return outcomes;
  }

  /** Create, sign and persist one event of a local user (client API, handshakes we start). */
  send(spec: LocalEventSpec): Promise<LocalEventResult> {
    return this.exclusive(() => this.sendNow(spec));
  }

  /** Several local events in order, each building on the previous (room creation). */
  sendMany(specs: readonly LocalEventSpec[]): Promise<LocalEventResult[]> {
    return this.exclusive(async () => {
      const out: LocalEventResult[] = [];
      for (const spec of specs) out.push(await this.sendNow(spec));
      return out;
    });
  }

  /** `send`, for callers already inside this actor's job. */
  async sendNow(spec: LocalEventSpec): Promise<LocalEventResult> {
    const ctx = this.context();
    const heads = this.deps.storage.rooms.getHeads(ctx.roomNid);
    const template = buildEventTemplate(ctx, spec, heads);
    // Check against the current state before paying for a signature; the pipeline checks again.
    // Not for a restricted join we authorise: the rules require OUR signature on it, which the
    // unsigned draft cannot carry yet.
    const draft = toRoomEvent(template as unknown as Pdu, ctx.version, "$draft", ctx.roomId);
    if (authorisingServer(draft, ctx.version) !== ctx.serverName) {
      const allowed = checkAuthRules(draft, new StateView(ctx.storage, ctx.loader, heads.stateRoot), ctx.version);
      if (!allowed.allowed) throw Errors.forbidden(allowed.reason);
    }
    const [signed] = await this.deps.pool.signEvents([template], [ctx.version.id]);
    const ev = toRoomEvent(signed!.pdu, ctx.version, signed!.eventId, ctx.roomId);
    const [outcome] = await this.receiveNow([{ event: ev }], undefined, true);
    if (!outcome || outcome.status !== "accepted") {
      throw Errors.forbidden(`event not accepted: ${outcome && "reason" in outcome ? outcome.reason : "unknown"}`);
    }
    return { eventId: ev.eventId, pdu: signed!.pdu, nid: outcome.nid, streamOrdering: outcome.streamOrdering };
  }

  /**
   * A membership event a remote server completed from our template (send_join, send_leave,
   * send_knock): checks 4–7 like any PDU, and when accepted it is queued for every other
   * server in the room (server-server-api.md: the resident server "must send it to the other
   * servers in the room").
   */
  receiveHandshake(event: IncomingEvent, origin: string): Promise<EventOutcome> {
    return this.exclusive(async () => {
      const [outcome] = await this.receiveNow([event], origin, true);
      return outcome!;
    });
  }

  /**
   * Tell the after-commit listeners (/sync, senders) about events stored by a write that did
   * not go through `receiveNow` (an imported remote join, backfill). Call it after the commit.
   */
  announce(infos: readonly PersistedInfo[], origin?: string): void {
    if (infos.length === 0) return;
    this.deps.hooks.onCommitted?.(this.context(), infos, origin);
  }

  /** Room facts for the rules; the room must exist. */
  context(view?: WriteBatch): RoomContext {
    const room = this.deps.storage.rooms.getRoom(this.roomId, view);
    if (!room) throw Errors.notFound(`Unknown room ${this.roomId}`);
    return {
      storage: this.deps.storage,
      loader: this.deps.loader,
      roomId: this.roomId,
      roomNid: room.roomNid,
      version: this.deps.loader.roomVersion(room.roomNid, view),
      serverName: this.deps.serverName,
    };
  }
}

/** A room's version, or undefined when the room is unknown here. */
export function versionOf(deps: RoomDeps, roomId: string): RoomVersion | undefined {
  const room = deps.storage.rooms.getRoom(roomId);
  return room ? deps.loader.roomVersion(room.roomNid) : undefined;
}

export type { JsonObject };
