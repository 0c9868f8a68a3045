/**
 * The one place that writes HTTP responses and turns errors into them.
 *
 * - `MatrixError` → its status and the standard error body `{"errcode","error",...}`
 *   (client-server API "Standard error response"; federation endpoints use the same shape).
 *   429s also carry `Retry-After` (client-server API "Rate limiting", since v1.10).
 * - Anything else → 500 M_UNKNOWN, logged with its stack; internals never reach the peer.
 * - JSON responses carry `Content-Type: application/json` (both APIs' "API standards").
 *
 * uWebSockets.js aborts the process if a response is touched after the peer went away, so
 * every write goes through an `Exchange` that knows whether the request was aborted or already
 * answered, and writes inside `cork` (required outside the synchronous request callback, and
 * one TLS record instead of several).
 */
import { STATUS_CODES } from "node:http";
import type { HttpResponse as UwsResponse } from "uWebSockets.js";
import { Errors, isMatrixError } from "../errors.js";
import { PoolBusyError } from "../crypto/pool.js";
import { MailboxFullError } from "../rooms/mailbox.js";

const OVERLOAD_RETRY_MS = 1000;
import type { Logger } from "../log.js";
import { isBytesResponse, json, type HttpResponse, type JsonResponse, type RequestContext } from "./request.js";

/** Rejection reason for work abandoned because the peer disconnected; never answered. */
export const ABORTED: Error = new Error("request aborted by peer");

/** Client-server API "Web Browser Clients": the recommended CORS headers. */
export const CORS_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ["Access-Control-Allow-Origin", "*"],
  ["Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"],
  ["Access-Control-Allow-Headers", "X-Requested-With, Content-Type, Authorization"],
];

const JSON_TYPE = "application/json";
const statusLines = new Map<number, string>();

function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? "Status"}`;
    statusLines.set(status, line);
  }
  return line;
}

/** One request/response pair on a uWS socket; doubles as the handler's `RequestContext`. */
export class Exchange implements RequestContext {
  aborted = false;
  done = false;
  /** Close the connection after responding (the request body was not fully read). */
  closeConnection = false;
  /** Called once if the peer aborts; used by body reading to settle its promise. */
  onAbort: (() => void) | undefined = undefined;
  status = 0;

  constructor(
    private readonly res: UwsResponse,
    public cors: boolean,
    readonly log: Logger,
    private readonly onFinish?: () => void,
  ) {}

  /** Wire to `res.onAborted`. */
  abort(): void {
    if (this.aborted || this.done) return;
    this.aborted = true;
    this.onAbort?.();
    this.onFinish?.();
  }

  send(response: HttpResponse): void {
    if (this.aborted || this.done) return;
    let payload: string | Uint8Array;
    let contentType: string;
    if (isBytesResponse(response)) {
      payload = response.bytes;
      contentType = response.contentType;
    } else {
      let text: string | undefined;
      try {
        text = JSON.stringify(response.body);
      } catch (err) {
        this.log.error({ err }, "response body is not JSON-serialisable");
      }
      if (text === undefined) {
        // JSON.stringify(undefined) and throwing toJSON both land here; the 500 body always serialises.
        this.send(internalError());
        return;
      }
      payload = text;
      contentType = JSON_TYPE;
    }
    const status = Number.isInteger(response.status) && response.status >= 200 && response.status <= 599 ? response.status : 500;
    const headers = response.headers;
    this.done = true;
    this.status = status;
    this.res.cork(() => {
      const res = this.res;
      res.writeStatus(statusLine(status));
      res.writeHeader("Content-Type", contentType);
      if (this.cors) for (const [k, v] of CORS_HEADERS) res.writeHeader(k, v);
      if (headers) for (const k in headers) res.writeHeader(k, headers[k]!);
      res.end(payload, this.closeConnection);
    });
    this.onFinish?.();
  }

  /** Answer a CORS preflight: no endpoint logic runs (client-server API "Web Browser Clients"). */
  sendPreflight(): void {
    if (this.aborted || this.done) return;
    this.done = true;
    this.status = 204;
    this.res.cork(() => {
      const res = this.res;
      res.writeStatus(statusLine(204));
      for (const [k, v] of CORS_HEADERS) res.writeHeader(k, v);
      res.endWithoutBody(0, this.closeConnection);
    });
    this.onFinish?.();
  }

  sendError(err: unknown, headers?: Readonly<Record<string, string>>): void {
    if (err === ABORTED || this.aborted || this.done) return;
    const response = errorResponse(err, this.log);
    this.send(headers ? { ...response, headers: { ...response.headers, ...headers } } : response);
  }
}

/** Map any thrown value to the response the peer sees. */
export function errorResponse(err: unknown, log: Logger): JsonResponse {
  if (isMatrixError(err)) {
    const retryMs = err.status === 429 ? err.extra?.retry_after_ms : undefined;
    return typeof retryMs === "number"
      ? json(err.body(), err.status, { "Retry-After": String(Math.max(1, Math.ceil(retryMs / 1000))) })
      : json(err.body(), err.status);
  }
  if (err instanceof PoolBusyError || err instanceof MailboxFullError) {
    // Overload at the edge: bounded queues are full. Ask the peer to back off rather than
    // queueing without bound (clients and federation senders both honour M_LIMIT_EXCEEDED).
    return errorResponse(Errors.limitExceeded(OVERLOAD_RETRY_MS, "Server busy, retry later"), log);
  }
  log.error({ err }, "unhandled error while serving request");
  return internalError();
}

function internalError(): JsonResponse {
  return json(Errors.internal().body(), 500);
}
