/**
 * Wakes long-polling /sync requests (client-server-api "Syncing": "The server will then hold
 * open the HTTP connection for a short period of time waiting for new events, returning early
 * if an event occurs").
 *
 * A waiting request registers under its user and under each room it is joined to. A change is
 * announced for a room (a commit in it, typing, a receipt) or for a user (their invites, an
 * event about their membership, their to-device inbox, account data, a presence or device
 * change of someone they share a room with, resolved by the caller to rooms), and wakes exactly
 * the requests registered there: O(waiters that care) per change, no polling.
 *
 *   commit / EDU / store change ──► wakeRoom(roomId) ──► byRoom[roomId] ─┐
 *                               └─► wakeUser(userId) ──► byUser[userId] ─┴─► resolve(true)
 *
 * A woken request recomputes its response; if nothing in it is for this user (another user's
 * to-device message, an event the filter drops) it waits again with the time it has left.
 * Register in the same synchronous run that read the stream positions, so no change can fall
 * between the read and the registration.
 */

interface Waiter {
  readonly userId: string;
  readonly roomIds: readonly string[];
  readonly resolve: (woken: boolean) => void;
  timer: NodeJS.Timeout | undefined;
}

export class SyncNotifier {
  private readonly byUser = new Map<string, Set<Waiter>>();
  private readonly byRoom = new Map<string, Set<Waiter>>();
  private count = 0;
  private closed = false;

  /** Resolves `true` when woken, `false` after `timeoutMs` (or at shutdown). */
  wait(userId: string, roomIds: readonly string[], timeoutMs: number): Promise<boolean> {
    if (this.closed || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = { userId, roomIds, resolve, timer: undefined };
      add(this.byUser, userId, waiter);
      for (const roomId of roomIds) add(this.byRoom, roomId, waiter);
      this.count++;
      waiter.timer = setTimeout(() => this.finish(waiter, false), timeoutMs);
      waiter.timer.unref();
    });
  }

  /** Wake every request of `userId`. */
  wakeUser(userId: string): void {
    const set = this.byUser.get(userId);
    if (set !== undefined) for (const w of [...set]) this.finish(w, true);
  }

  /** Wake every request joined to `roomId`. */
  wakeRoom(roomId: string): void {
    const set = this.byRoom.get(roomId);
    if (set !== undefined) for (const w of [...set]) this.finish(w, true);
  }

  /** Is anyone waiting on this room? (Lets callers skip work that would wake nobody.) */
  hasRoomWaiters(roomId: string): boolean {
    return this.byRoom.has(roomId);
  }

  get waiting(): number {
    return this.count;
  }

  /** Release every waiter (shutdown); later waits return at once. */
  close(): void {
    this.closed = true;
    for (const set of [...this.byUser.values()]) for (const w of [...set]) this.finish(w, false);
  }

  private finish(w: Waiter, woken: boolean): void {
    if (!remove(this.byUser, w.userId, w)) return;
    for (const roomId of w.roomIds) remove(this.byRoom, roomId, w);
    this.count--;
    if (w.timer !== undefined) clearTimeout(w.timer);
    w.resolve(woken);
  }
}

function add(index: Map<string, Set<Waiter>>, key: string, w: Waiter): void {
  let set = index.get(key);
  if (set === undefined) index.set(key, (set = new Set()));
  set.add(w);
}

function remove(index: Map<string, Set<Waiter>>, key: string, w: Waiter): boolean {
  const set = index.get(key);
  if (set === undefined || !set.delete(w)) return false;
  if (set.size === 0) index.delete(key);
  return true;
}
