/**
 * Client rate limiting (client-server API "Rate limiting"): a token bucket per requester,
 * refilled at `limits.client_rate_per_second` up to `limits.client_rate_burst`. A request that
 * finds the bucket empty gets 429 M_LIMIT_EXCEEDED with `retry_after_ms` (and `Retry-After`,
 * added by src/http/respond.ts).
 *
 * The requester is the authenticated user, else the peer IP address (registration, login).
 * Behind a reverse proxy every client shares the proxy's address; unauthenticated limits then
 * apply to all of them together.
 *
 * Use: wrap a handler, `router.post(path, rateLimited(app, handler), opts)`, on endpoints that
 * create things or cost work (register, login, sending events, key uploads and claims,
 * profile changes), or call `checkRateLimit(app, req)` inside one.
 */
import type { App } from "../app.js";
import { Errors } from "../errors.js";
import type { ClientAuth, Handler, HttpRequest } from "../http/request.js";

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface RateLimiterOptions {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly now?: () => number;
  /** Buckets kept before idle (full) ones are swept. */
  readonly maxBuckets?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxBuckets: number;

  constructor(private readonly opts: RateLimiterOptions) {
    this.now = opts.now ?? Date.now;
    this.maxBuckets = opts.maxBuckets ?? 100_000;
  }

  /** Take `cost` tokens for `key`: 0 if allowed, else the milliseconds until it would be. */
  take(key: string, cost = 1): number {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxBuckets) this.sweep(now);
      bucket = { tokens: this.opts.burst, updatedAt: now };
      this.buckets.set(key, bucket);
    } else {
      this.refill(bucket, now);
    }
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return 0;
    }
    return ((cost - bucket.tokens) / this.opts.ratePerSecond) * 1000;
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(bucket: Bucket, now: number): void {
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.opts.burst, bucket.tokens + (elapsed / 1000) * this.opts.ratePerSecond);
    bucket.updatedAt = now;
  }

  /** Forget buckets that have refilled completely: they behave exactly like new ones. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      this.refill(bucket, now);
      if (bucket.tokens >= this.opts.burst) this.buckets.delete(key);
    }
    // Still full of active requesters: start over rather than grow without bound.
    if (this.buckets.size >= this.maxBuckets) this.buckets.clear();
  }
}

const limiters = new WeakMap<App, RateLimiter>();

/** The server's client rate limiter (one per App, from `config.limits`). */
export function rateLimiterOf(app: App): RateLimiter {
  let limiter = limiters.get(app);
  if (limiter === undefined) {
    limiter = new RateLimiter({ ratePerSecond: app.config.limits.client_rate_per_second, burst: app.config.limits.client_rate_burst });
    limiters.set(app, limiter);
  }
  return limiter;
}

/** Who a request counts against: the authenticated user, else its IP address. */
export function rateLimitKey(req: HttpRequest): string {
  const auth = req.auth as ClientAuth | undefined;
  return auth?.userId !== undefined ? auth.userId : `ip:${req.remoteAddress}`;
}

/** Throws 429 M_LIMIT_EXCEEDED when the requester is over the limit. */
export function checkRateLimit(app: App, req: HttpRequest, cost = 1): void {
  const waitMs = rateLimiterOf(app).take(rateLimitKey(req), cost);
  if (waitMs > 0) throw Errors.limitExceeded(waitMs);
}

/** `handler`, rate limited. Authentication runs first, so the user is known when there is one. */
export function rateLimited<A>(app: App, handler: Handler<A>): Handler<A> {
  return (req, ctx) => {
    checkRateLimit(app, req);
    return handler(req, ctx);
  };
}
