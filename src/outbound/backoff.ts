/**
 * Per-server failure memory: after `n` consecutive failures a server is not tried again for
 * `min(max, base · 2^(n-1))`. The key fetcher uses it as its negative cache for unreachable
 * servers and notaries, so a dead server costs one attempt per backoff period rather than one
 * per event or request that names it.
 */
/**
 * The wait after `failures` consecutive failures: `min(max, base · 2^(failures-1))` (the
 * exponent is capped only so the product stays finite).
 */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 52));
}

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly now?: () => number;
  /** Servers remembered; the oldest failure record is forgotten beyond this. */
  readonly maxEntries?: number;
}

export class FailureBackoff {
  private readonly entries = new Map<string, { failures: number; retryAt: number }>();
  private readonly now: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether `name` is still backing off. */
  blocked(name: string): boolean {
    const e = this.entries.get(name);
    return e !== undefined && e.retryAt > this.now();
  }

  /** When `name` may be tried again, if it is backing off. */
  retryAt(name: string): number | undefined {
    const e = this.entries.get(name);
    return e !== undefined && e.retryAt > this.now() ? e.retryAt : undefined;
  }

  /** Record a failure; returns when the next attempt is allowed. */
  failed(name: string): number {
    const failures = (this.entries.get(name)?.failures ?? 0) + 1;
    const delay = backoffDelay(failures, this.options.baseMs, this.options.maxMs);
    const retryAt = this.now() + delay;
    this.entries.delete(name);
    this.entries.set(name, { failures, retryAt });
    const max = this.options.maxEntries ?? 10_000;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value as string);
    return retryAt;
  }

  succeeded(name: string): void {
    this.entries.delete(name);
  }
}
