/**
 * The one path every client-authored room event takes (send, state, redact): the room must be
 * one we hold, the event must fit (event-checks.ts), then the room's actor builds, checks
 * (auth rules against the current state: 403 M_FORBIDDEN), signs and stores it. With a
 * transaction scope the send is idempotent (transactions.ts). `precheck` runs inside the actor
 * job, against the state the event will be built on.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { toRoomEvent } from "../../events/event.js";
import { buildEventTemplate, type LocalEventSpec } from "../../rooms/local/build-event.js";
import type { RoomActor } from "../../rooms/room-actor.js";
import type { RoomContext } from "../../rooms/room-context.js";
import { checkEventSize } from "./event-checks.js";
import { clientTxnsOf, type TxnScope } from "./transactions.js";

export interface SendOptions {
  readonly txn?: TxnScope;
  readonly precheck?: (ctx: RoomContext) => void;
}

export function roomContextFor(app: App, roomId: string): RoomContext {
  const ctx = app.rooms.context(roomId);
  if (!ctx) throw Errors.forbidden("You are not in this room");
  return ctx;
}

export async function sendClientEvent(app: App, roomId: string, spec: LocalEventSpec, opts: SendOptions = {}): Promise<string> {
  if (opts.txn) {
    // A retransmission is answered before any check: the original request passed them.
    const done = clientTxnsOf(app).lookup(opts.txn);
    if (done !== undefined) return done;
  }
  const ctx = roomContextFor(app, roomId);
  checkEventSize(app, ctx, spec);
  const actor = app.rooms.actor(roomId);
  const send = async () => {
    opts.precheck?.(actor.context());
    return actor.sendNow(spec);
  };
  if (opts.txn) return clientTxnsOf(app).run(opts.txn, roomId, send);
  return (await actor.exclusive(send)).eventId;
}

/**
 * Build, sign and persist a local event inside the room's actor job, without the actor's
 * pre-signing auth check: a restricted join names one of our users in
 * `join_authorised_via_users_server`, and the auth rules then require OUR signature on the
 * event, which an unsigned draft cannot have (RoomActor.sendNow would refuse it). The full
 * checks 4–7 still run on the signed event.
 */
export async function signAndPersistNow(app: App, actor: RoomActor, spec: LocalEventSpec): Promise<string> {
  const ctx = actor.context();
  const template = buildEventTemplate(ctx, spec, app.storage.rooms.getHeads(ctx.roomNid));
  const [signed] = await app.pool.signEvents([template], [ctx.version.id]);
  const ev = toRoomEvent(signed!.pdu, ctx.version, signed!.eventId, ctx.roomId);
  const [outcome] = await actor.receiveNow([{ event: ev }], undefined, true);
  if (!outcome || outcome.status !== "accepted") {
    throw Errors.forbidden(`event not accepted: ${outcome && "reason" in outcome ? String(outcome.reason) : "unknown"}`);
  }
  return ev.eventId;
}
