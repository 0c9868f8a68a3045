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
 */
import { domainOf } from "../../events/ids.js";
import type { Logger } from "../../log.js";
import type { PersistedInfo } from "../pipeline/receive-events.js";
import type { RoomContext } from "../room-context.js";
import type { RoomService } from "../room-service.js";
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

  rooms.onCommitted((ctx: RoomContext, infos: readonly PersistedInfo[]) => {
    const relevant = infos.filter(
      (i) => i.status === "accepted" && i.event.type === MEMBER && i.event.stateKey !== undefined && ours(i.event.stateKey),
    );
    if (relevant.length === 0) return;
    rooms.storage
      .write((w) => {
        const changes: MembershipChange[] = [];
        for (const { event, stateBefore } of relevant) {
          const user = event.stateKey!;
          const membership = event.content["membership"];
          if (membership === "invite" || membership === "knock") {
            const input = {
              userId: user,
              roomId: ctx.roomId,
              roomVersion: ctx.version.id,
              event: event.pdu,
              strippedState: strippedStateAt(ctx, stateBefore),
            };
            changes.push(...store.putIn(w, membership, input));
          } else {
            changes.push(...store.removeIn(w, "invite", user, ctx.roomId), ...store.removeIn(w, "knock", user, ctx.roomId));
          }
        }
        return changes;
      })
      .then(
        (changes) => store.notify(changes),
        (err: unknown) => log.error({ err, room_id: ctx.roomId }, "could not update pending invites/knocks"),
      );
  });
}
