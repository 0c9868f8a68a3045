/**
 * One-at-a-time execution per key: jobs with the same key run in call order, jobs with
 * different keys run concurrently. Entries are dropped when their queue drains, so the map
 * only holds keys with work in flight.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous ? previous.then(() => done) : done;
    this.tails.set(key, tail);
    if (previous) await previous;
    try {
      return await job();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with queued or running jobs (tests, metrics). */
  get size(): number {
    return this.tails.size;
  }
}
