/**
 * The room actor registry: one actor per room, created on demand, evicted when idle so
 * memory stays bounded by `maxActors` plus the rooms that are busy right now.
 *
 * An actor holds only caches; its room's truth is in LMDB, so evicting an idle actor loses
 * nothing and the next message simply builds a new one. Busy actors are never evicted, which
 * keeps the one-writer-per-room guarantee: there is never a second actor for a room while
 * the first still has work. For that to hold, callers get the actor and enqueue on it in the
 * same synchronous step (`registry.get(id).mailbox.enqueue(...)`), never keeping an actor
 * reference across an await.
 */
import type { Mailbox } from "./mailbox.js";

export interface Actor {
  readonly mailbox: Mailbox;
}

export interface RegistryOptions {
  /** Idle actors kept in memory at most (least recently used are evicted first). */
  maxActors: number;
  /** Idle actors older than this are evicted by `sweep()`. */
  idleMs: number;
}

export class ActorRegistry<A extends Actor> {
  private readonly actors = new Map<string, A>();

  constructor(
    private readonly factory: (roomId: string) => A,
    private readonly opts: RegistryOptions,
  ) {}

  get size(): number {
    return this.actors.size;
  }

  /** The actor for `roomId`, created if absent. Recency is the mailbox's `lastActivity`. */
  get(roomId: string): A {
    let actor = this.actors.get(roomId);
    if (actor) return actor;
    actor = this.factory(roomId);
    if (this.actors.size >= this.opts.maxActors) this.evictLru();
    this.actors.set(roomId, actor);
    return actor;
  }

  peek(roomId: string): A | undefined {
    return this.actors.get(roomId);
  }

  /** Drop every idle actor unused for `idleMs`. Returns how many were evicted. */
  sweep(now = Date.now()): number {
    let evicted = 0;
    for (const [roomId, actor] of this.actors) {
      if (!actor.mailbox.busy && now - actor.mailbox.lastActivity >= this.opts.idleMs) {
        this.actors.delete(roomId);
        evicted++;
      }
    }
    return evicted;
  }

  /** Mailbox depth per room, deepest first (metrics: top-N). */
  depths(limit = 10): { roomId: string; depth: number }[] {
    const out: { roomId: string; depth: number }[] = [];
    for (const [roomId, actor] of this.actors) {
      if (actor.mailbox.busy) out.push({ roomId, depth: actor.mailbox.depth });
    }
    return out.sort((a, b) => b.depth - a.depth).slice(0, limit);
  }

  /** Resolves once every actor has finished its queued work (graceful shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.actors.values()].map((a) => a.mailbox.whenIdle()));
  }

  /**
   * Over capacity: drop the least recently active idle actors, a tenth of the capacity at a
   * time so the scan is amortised over many creations. (No reordering on every `get`: deleting
   * and re-inserting Map entries per hit makes V8 rehash the whole table every few calls.)
   */
  private evictLru(): void {
    const idle = [...this.actors].filter(([, a]) => !a.mailbox.busy).sort((x, y) => x[1].mailbox.lastActivity - y[1].mailbox.lastActivity);
    const target = Math.max(0, this.opts.maxActors - Math.ceil(this.opts.maxActors / 10));
    for (const [roomId] of idle) {
      if (this.actors.size <= target) return;
      this.actors.delete(roomId);
    }
  }
}
