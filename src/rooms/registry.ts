/**
 * The room actor registry: one actor per room, created on demand, evicted when idle so
 * memory stays bounded by `maxActors` plus the rooms that are busy right now.
 *
 * An actor holds only caches; its room's truth is in LMDB, so evicting an idle actor loses
 * nothing and the next message simply builds a new one. Busy actors are never evicted, which
 * keeps the one-writer-per-room guarantee: there is never a second actor for a room while
 * the first still has work.
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

  /** The actor for `roomId`, created if absent; marks it most recently used. */
  get(roomId: string): A {
    let actor = this.actors.get(roomId);
    if (actor) {
      this.actors.delete(roomId);
      this.actors.set(roomId, actor);
      return actor;
    }
    actor = this.factory(roomId);
    this.actors.set(roomId, actor);
    if (this.actors.size > this.opts.maxActors) this.evictLru();
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

  private evictLru(): void {
    for (const [roomId, actor] of this.actors) {
      if (this.actors.size <= this.opts.maxActors) return;
      if (!actor.mailbox.busy) this.actors.delete(roomId);
    }
  }
}
