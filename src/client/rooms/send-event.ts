/**
 * The one path every client-authored room event takes (send, state, redact): the room must be
 * one we hold, the event must fit (event-checks.ts), then the room's actor builds, checks
 * (auth rules against the current state: 403 M_FORBIDDEN), signs and stores it. With a
 * transaction scope the send is idempotent (transactions.ts). `precheck` runs inside the actor
 * job, against the state the event will be built on.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import type { LocalEventSpec } from "../../rooms/local/build-event.js";
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
