/**
 * What a federation request can fail with, as values the callers (destination queues, key
 * fetcher, join/backfill code) branch on:
 * - `RemoteError`: the remote server answered, with a non-2xx status (its Matrix error, when
 *   it sent one, is in `errcode`/`body`) or with a body that is not JSON. Retrying the same
 *   request is unlikely to help unless `status` is 429 or 5xx.
 * - `UnreachableError`: no usable answer: discovery, DNS, connect, TLS, timeout, reset, or a
 *   response over the size limit. The caller backs off.
 */
export abstract class FederationRequestError extends Error {
  constructor(
    message: string,
    /** The server name the request was for (before delegation). */
    readonly destination: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class RemoteError extends FederationRequestError {
  constructor(
    destination: string,
    readonly status: number,
    /** `errcode` of a standard Matrix error body, when the body is one. */
    readonly errcode: string | undefined,
    /** Parsed JSON body, or the body text when it is not JSON. */
    readonly body: unknown,
  ) {
    super(`${destination} answered ${status}${errcode ? ` ${errcode}` : ""}`, destination);
    this.name = "RemoteError";
  }
}

export class UnreachableError extends FederationRequestError {
  constructor(destination: string, reason: string, options?: ErrorOptions) {
    super(`${destination} unreachable: ${reason}`, destination, options);
    this.name = "UnreachableError";
  }
}
