/**
 * Presence of our own users (modules/presence.md), kept in the shared presence store
 * (src/edu/presence.ts), from three sources:
 *
 * - /sync `set_presence` (sync.yaml): `online` (the default) marks the user online and
 *   currently active while they sync; `unavailable` marks them idle; `offline` leaves their
 *   presence alone.
 * - PUT /presence/{userId}/status: an explicit state and status message ("When setting the
 *   status, the activity time is updated").
 * - going away: a user whose syncs all ended more than `OFFLINE_AFTER_MS` ago, and whose
 *   presence /sync set, becomes `offline` ("offline: The user is not connected to an event
 *   stream"). One sweep timer, only while someone is being tracked.
 *
 * While a user is online and `currently_active`, their last-active time is not re-stored on
 * every sync: "When true, the server will not send further updates to the last active time
 * until an update is sent to the client with either a) currently_active set to false or b) a
 * presence state other than online" (presence.md "Last active ago"). Otherwise every sync of
 * every user would wake every member of their rooms. GET /presence reads the live value
 * (`lastActiveTs`): "clients can fetch up to date last active times by explicitly requesting
 * the presence for a given user".
 *
 * The status message survives every automatic change. Changes reach other servers through the
 * presence publisher (presence-publisher.ts) and local clients through /sync.
 */
import type { App } from "../../app.js";
import { eduServices, type PresenceStore, type PresenceState } from "../../edu/index.js";
import { logger } from "../../log.js";

export type SyncPresence = "online" | "offline" | "unavailable";

/** How long after a user's last sync ended they are considered gone. */
export const OFFLINE_AFTER_MS = 30_000;
const SWEEP_MS = 10_000;

const log = logger("client.presence");

interface Tracked {
  syncs: number;
  lastEnded: number;
}

export class LocalPresence {
  private readonly tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: PresenceStore) {}

  /**
   * A /sync began: `ready` resolves once the presence it implies is stored (at once when
   * nothing changes, the common case); call `done` when the sync ends.
   */
  syncing(userId: string, mode: SyncPresence): { ready: Promise<void>; done: () => void } {
    if (mode === "offline") return { ready: Promise.resolve(), done: noop };
    let t = this.tracked.get(userId);
    if (t === undefined) this.tracked.set(userId, (t = { syncs: 0, lastEnded: 0 }));
    t.syncs++;
    this.arm();
    const cur = this.store.get(userId);
    const now = Date.now();
    let ready = Promise.resolve();
    if (mode === "online") {
      if (cur?.presence !== "online" || !cur.currentlyActive) ready = this.put(userId, "online", cur?.statusMsg, 0, true);
    } else if (cur?.presence !== "unavailable") {
      ready = this.put(userId, "unavailable", cur?.statusMsg, cur === undefined ? 0 : now - cur.lastActiveTs, false);
    }
    const tracked = t;
    let ended = false;
    const done = (): void => {
      if (ended) return;
      ended = true;
      tracked.syncs--;
      tracked.lastEnded = Date.now();
    };
    return { ready, done };
  }

  /** When the user was last seen syncing: now while a sync is open; undefined if not tracked. */
  lastActiveTs(userId: string): number | undefined {
    const t = this.tracked.get(userId);
    if (t === undefined) return undefined;
    return t.syncs > 0 ? Date.now() : t.lastEnded;
  }

  /** PUT /presence/{userId}/status. */
  async set(userId: string, presence: PresenceState, statusMsg: string | undefined): Promise<void> {
    await this.store.put([{ userId, presence, statusMsg, lastActiveAgo: 0, currentlyActive: presence === "online" }]);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Never rejects: presence is best-effort and must not fail the request that caused it. */
  private put(userId: string, presence: PresenceState, statusMsg: string | undefined, lastActiveAgo: number, currentlyActive: boolean): Promise<void> {
    return this.store.put([{ userId, presence, statusMsg, lastActiveAgo, currentlyActive }]).then(
      () => undefined,
      (err: unknown) => log.warn({ err, user_id: userId }, "could not update presence"),
    );
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [userId, t] of this.tracked) {
      if (t.syncs > 0 || now - t.lastEnded < OFFLINE_AFTER_MS) continue;
      this.tracked.delete(userId);
      const cur = this.store.get(userId);
      if (cur !== undefined && cur.presence !== "offline") void this.put(userId, "offline", cur.statusMsg, now - Math.max(t.lastEnded, cur.lastActiveTs), false);
    }
    if (this.tracked.size === 0) this.close();
  }
}

function noop(): void {}

const instances = new WeakMap<App, LocalPresence>();

export function localPresenceOf(app: App): LocalPresence {
  let p = instances.get(app);
  if (p === undefined) instances.set(app, (p = new LocalPresence(eduServices(app).presence)));
  return p;
}
