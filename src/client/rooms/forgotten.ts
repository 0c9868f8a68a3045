/**
 * Forgotten rooms (client-server-api "Leaving rooms", leaving.yaml `POST /forget`): "Rooms which
 * have been forgotten will never appear in the response to the /sync API, until the user
 * re-joins, is re-invited, or knocks", and "a user will no longer be able to retrieve history
 * for this room".
 *
 * A forgotten flag is cleared when the user's membership becomes join, invite or knock again,
 * whether that happens through one of our rooms (committed `m.room.member` events) or through
 * the pending-membership store (federation `/invite`, remote knocks). /sync should therefore
 * hide only rooms the user left (leave/ban) that are flagged here.
 */
import type { App } from "../../app.js";
import { domainOf } from "../../events/ids.js";
import { logger } from "../../log.js";
import { MEMBER } from "../../rooms/auth/types.js";
import { membershipStore } from "../../rooms/membership/membership-store.js";
import { prefixRange } from "../../storage/keys.js";

const log = logger("client.forgotten");

const REVIVING = new Set(["join", "invite", "knock"]);

export class ForgottenRooms {
  constructor(private readonly app: App) {}

  isForgotten(userId: string, roomId: string): boolean {
    return this.app.storage.store.dbs.forgottenRooms.get([userId, roomId]) !== undefined;
  }

  /** Room IDs the user forgot (and has not rejoined since). */
  roomsOf(userId: string): string[] {
    const out: string[] = [];
    for (const key of this.app.storage.store.dbs.forgottenRooms.getKeys(prefixRange([userId]))) {
      if (key.length === 2) out.push(key[1]);
    }
    return out;
  }

  async forget(userId: string, roomId: string): Promise<void> {
    await this.app.storage.write((w) => {
      if (w.read("forgottenRooms", [userId, roomId]) === undefined) w.put("forgottenRooms", [userId, roomId], Date.now());
    });
  }

  async unforget(pairs: readonly (readonly [string, string])[]): Promise<void> {
    const flagged = pairs.filter(([u, r]) => this.isForgotten(u, r));
    if (flagged.length === 0) return;
    await this.app.storage.write((w) => {
      for (const [u, r] of flagged) w.remove("forgottenRooms", [u, r]);
    });
  }
}

const instances = new WeakMap<App, ForgottenRooms>();

/** The server's `ForgottenRooms`; the first call installs the listeners that clear the flag. */
export function forgottenRoomsOf(app: App): ForgottenRooms {
  let f = instances.get(app);
  if (f) return f;
  f = new ForgottenRooms(app);
  instances.set(app, f);
  const forgotten = f;
  const ours = (u: string) => domainOf(u) === app.serverName;
  const clear = (pairs: [string, string][]) => {
    if (pairs.length === 0) return;
    forgotten.unforget(pairs).catch((err: unknown) => log.error({ err }, "could not clear forgotten rooms"));
  };

  app.rooms.onCommitted((ctx, infos) => {
    const pairs: [string, string][] = [];
    for (const { event, status } of infos) {
      if (status !== "accepted" || event.type !== MEMBER || event.stateKey === undefined || !ours(event.stateKey)) continue;
      const m = event.content["membership"];
      if (typeof m === "string" && REVIVING.has(m)) pairs.push([event.stateKey, ctx.roomId]);
    }
    clear(pairs);
  });
  membershipStore(app.storage).onChange((change) => {
    if (!change.removed) clear([[change.userId, change.roomId]]);
  });
  return f;
}
