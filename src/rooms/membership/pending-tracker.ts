/**
 * Keeps the pending invites and knocks of local users (membership-store.ts) in step with the
 * rooms we are in: after every commit, each accepted `m.room.member` event about a local user
 *
 * - `invite` → recorded as a pending invite, with stripped state from our own copy of the room
 *   (this also links an earlier knock to the invite that answers it);
 * - `knock`  → recorded as a pending knock;
 * - anything else (join, leave, ban) → that user's pending invite and knock for the room end.
 *
 * So /sync reads one place for every invite and knock, whether it came over `/invite`, through
 * `/send`, or from a local user. Rooms we are not in never reach here; their invites are
 * recorded by the `/invite` handler and ended by whoever rejects or accepts them.
 *
 * The record is written in the same LMDB write as the event (`onStored`), so an acknowledged
 * invite is never without its pending entry, and a /sync right after the /invite response sees
 * it. Events stored by writes that bypass the actor's receive path (an imported remote join)
 * reach here only after their commit, and are recorded then in a write of their own.
 */
import { domainOf } from "../../events/ids.js";
import type { Logger } from "../../log.js";
import type { PersistedInfo } from "../pipeline/receive-events.js";
import type { RoomContext } from "../room-context.js";
import type { RoomService } from "../room-service.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import { MEMBER } from "../auth/types.js";
import { membershipStore, type MembershipChange } from "./membership-store.js";
import { strippedStateAt } from "./stripped-state.js";

const tracked = new WeakSet<RoomService>();

/** Install the listener once per RoomService (idempotent). */
export function trackPendingMemberships(rooms: RoomService, log: Logger): void {
  if (tracked.has(rooms)) return;
  tracked.add(rooms);
  const store = membershipStore(rooms.storage);
  const ours = (user: string) => domainOf(user) === rooms.serverName;

  const relevant = (i: PersistedInfo) =>
    i.status === "accepted" && i.event.type === MEMBER && i.event.stateKey !== undefined && ours(i.event.stateKey);
  /** Changes written in an event's own write, announced once it commits. */
  const inWrite = new WeakMap<PersistedInfo, MembershipChange[]>();

  const apply = (w: WriteBatch, ctx: RoomContext, { event, stateBefore }: PersistedInfo): MembershipChange[] => {
    const user = event.stateKey!;
    const membership = event.content["membership"];
    if (membership === "invite" || membership === "knock") {
      const input = { userId: user, roomId: ctx.roomId, roomVersion: ctx.version.id, event: event.pdu, strippedState: strippedStateAt(ctx, stateBefore, w) };
      return store.putIn(w, membership, input);
    }
    return [...store.removeIn(w, "invite", user, ctx.roomId), ...store.removeIn(w, "knock", user, ctx.roomId)];
  };

  rooms.onStored((w, ctx, info) => {
    if (relevant(info)) inWrite.set(info, apply(w, ctx, info));
  });

  rooms.onCommitted((ctx: RoomContext, infos: readonly PersistedInfo[]) => {
    const late: PersistedInfo[] = [];
    for (const info of infos) {
      if (!relevant(info)) continue;
      const changes = inWrite.get(info);
      if (changes) store.notify(changes);
      else late.push(info);
    }
    if (late.length === 0) return;
    rooms.storage
      .write((w) => late.flatMap((info) => apply(w, ctx, info)))
      .then(
        (changes) => store.notify(changes),
        (err: unknown) => log.error({ err, room_id: ctx.roomId }, "could not update pending invites/knocks"),
      );
  });
}
