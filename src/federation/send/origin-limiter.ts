/**
 * At most N /send transactions of one origin processed at once (`limits.
 * federation_max_concurrent_per_origin`), so one busy or hostile peer cannot occupy every
 * room actor and crypto worker while others wait. A conforming sender has one transaction in
 * flight to us at a time (transactions.yaml: it "must wait and retry for a 200 OK response
 * before sending a transaction with a different txnId"), so the limit only bites on peers that
 * do not wait; they get 429 M_LIMIT_EXCEEDED with `retry_after_ms`.
 */
import { Errors } from "../../errors.js";

export class OriginLimiter {
  private readonly active = new Map<string, number>();

  constructor(
    private readonly maxPerOrigin: number,
    private readonly retryAfterMs = 1000,
  ) {}

  /** Take a slot for `origin` or throw 429; call the returned function to give it back. */
  acquire(origin: string): () => void {
    const n = this.active.get(origin) ?? 0;
    if (n >= this.maxPerOrigin) throw Errors.limitExceeded(this.retryAfterMs, `Too many concurrent transactions from ${origin}`);
    this.active.set(origin, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.active.get(origin) ?? 1) - 1;
      if (left <= 0) this.active.delete(origin);
      else this.active.set(origin, left);
    };
  }

  inFlight(origin: string): number {
    return this.active.get(origin) ?? 0;
  }
}
