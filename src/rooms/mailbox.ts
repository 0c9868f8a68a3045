/**
 * A bounded, strictly serial job queue: the concurrency core of a room actor.
 *
 * Jobs run one at a time in arrival order; a job starts only after the previous one's promise
 * settled (including its LMDB commit), so no two changes to a room interleave. When
 * `capacity` jobs are already waiting, `enqueue` fails at once with `MailboxFullError` —
 * backpressure the HTTP edge turns into 503/M_LIMIT_EXCEEDED — instead of queueing without
 * bound.
 */

export class MailboxFullError extends Error {
  constructor(
    readonly mailbox: string,
    readonly capacity: number,
  ) {
    super(`mailbox ${mailbox} is full (${capacity} waiting)`);
    this.name = "MailboxFullError";
  }
}

interface Job {
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class Mailbox {
  private readonly queue: Job[] = [];
  private head = 0;
  private running = false;
  private idleWaiters: (() => void)[] = [];
  lastActivity = Date.now();

  constructor(
    readonly name: string,
    readonly capacity: number,
  ) {}

  /** Jobs waiting (not counting the one running). */
  get depth(): number {
    return this.queue.length - this.head;
  }

  get busy(): boolean {
    return this.running || this.depth > 0;
  }

  enqueue<T>(run: () => Promise<T>): Promise<T> {
    if (this.depth >= this.capacity) return Promise.reject(new MailboxFullError(this.name, this.capacity));
    this.lastActivity = Date.now();
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.running) void this.pump();
    });
  }

  /** Resolves when nothing is running or waiting (used by graceful shutdown and eviction). */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.running = true;
    while (this.head < this.queue.length) {
      const job = this.queue[this.head]!;
      this.queue[this.head] = undefined as unknown as Job;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      try {
        job.resolve(await job.run());
      } catch (e) {
        job.reject(e);
      }
      this.lastActivity = Date.now();
    }
    this.queue.length = 0;
    this.head = 0;
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
