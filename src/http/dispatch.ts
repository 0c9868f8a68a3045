/**
 * The request pipeline for one uWS request: route → read body → parse → authenticate →
 * handler → respond.
 *
 * The uWS request object lives on the native stack and is only valid until the callback
 * returns, so everything a handler may need (method, path, query, headers, peer address) is
 * copied synchronously first; `onAborted` and `onData` are attached in the same tick. When
 * nothing awaits (no body, no auth, synchronous handler) the response is written before the
 * callback returns, with no promise hop.
 */
import type { HttpRequest as UwsRequest, HttpResponse as UwsResponse } from "uWebSockets.js";
import { Errors } from "../errors.js";
import type { Logger } from "../log.js";
import { declaredLength, EMPTY_BODY, parseBody, readBody } from "./body.js";
import type { Authenticator, HttpRequest, HttpResponse } from "./request.js";
import { Exchange } from "./respond.js";
import type { Route, RouteMatch, Router } from "./router.js";

/** Counts requests still being answered, so a listener can drain before closing. */
export class InFlight {
  count = 0;
  private idle: (() => void) | undefined;

  readonly release = (): void => {
    if (--this.count === 0 && this.idle) this.idle();
  };

  /** Resolves when no request is in flight, or after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      const idle = this.idle;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.idle = () => {
        idle?.();
        done();
      };
    });
  }
}

class IncomingRequest implements HttpRequest {
  body: unknown = undefined;
  rawBody: Buffer = EMPTY_BODY;
  auth: unknown = undefined;
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    readonly method: string,
    readonly path: string,
    readonly uri: string,
    readonly params: Readonly<Record<string, string>>,
    private readonly rawQuery: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly remoteAddress: string,
  ) {}

  /** Parsed on first use: most federation handlers never look at the query. */
  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.rawQuery));
  }
}

/** Told about every finished request (metrics): route is the pattern, or "unmatched". */
export type RequestObserver = (method: string, route: string, status: number, seconds: number) => void;

export function dispatch(router: Router, log: Logger, inFlight: InFlight, res: UwsResponse, req: UwsRequest, observe?: RequestObserver): void {
  inFlight.count++;
  const method = req.getCaseSensitiveMethod();
  const path = req.getUrl();
  let routeLabel = "unmatched";
  let ex: Exchange;
  if (observe) {
    const started = performance.now();
    ex = new Exchange(res, router.cors, log, () => {
      inFlight.release();
      observe(method, routeLabel, ex.status, (performance.now() - started) / 1000);
    });
  } else {
    ex = new Exchange(res, router.cors, log, inFlight.release);
  }
  const contentLength = req.getHeader("content-length");
  // A body we will not read must not be parsed as the next request on a kept-alive connection.
  const hasBody = contentLength !== "" ? contentLength !== "0" : req.getHeader("transfer-encoding") !== "";
  let match: RouteMatch;
  try {
    match = router.match(method, path);
  } catch (err) {
    ex.closeConnection = hasBody;
    ex.sendError(err);
    return;
  }
  if (match.kind !== "found") {
    ex.closeConnection = hasBody;
    answerUnmatched(ex, match);
    return;
  }
  const route = match.route;
  routeLabel = route.pattern;
  ex.cors = route.cors;
  res.onAborted(() => ex.abort());

  const rawQuery = req.getQuery() ?? "";
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  req.forEach((name, value) => {
    const prev = headers[name];
    headers[name] = prev === undefined ? value : `${prev}, ${value}`;
  });
  const request = new IncomingRequest(
    method,
    path,
    rawQuery === "" ? path : `${path}?${rawQuery}`,
    match.params,
    rawQuery,
    headers,
    Buffer.from(res.getRemoteAddressAsText()).toString("latin1"),
  );

  let body: Promise<Buffer> | undefined;
  if (hasBody && route.body !== "none") {
    const declared = declaredLength(contentLength);
    if (Number.isNaN(declared)) {
      ex.closeConnection = true;
      ex.sendError(Errors.unknown("Malformed Content-Length header", 400));
      return;
    }
    body = readBody(res, ex, route.bodyLimit, declared);
  }
  void run(route, request, ex, body, router.auth);
}

function answerUnmatched(ex: Exchange, match: Exclude<RouteMatch, { kind: "found" }>): void {
  switch (match.kind) {
    case "preflight":
      ex.sendPreflight();
      return;
    case "method-not-allowed":
      ex.cors = match.cors;
      ex.sendError(Errors.methodNotAllowed(), { Allow: match.allow });
      return;
    case "not-found":
      ex.cors = match.cors;
      ex.sendError(Errors.unrecognized());
      return;
  }
}

async function run(
  route: Route,
  req: IncomingRequest,
  ex: Exchange,
  body: Promise<Buffer> | undefined,
  auth: Authenticator,
): Promise<void> {
  try {
    if (body !== undefined) req.rawBody = await body;
    req.body = parseBody(req.rawBody, route.body);
    if (route.auth !== "none") req.auth = await authenticate(route, req, auth);
    const out: HttpResponse | Promise<HttpResponse> = route.handler(req, ex);
    ex.send(out instanceof Promise ? await out : out);
  } catch (err) {
    ex.sendError(err);
  }
}

async function authenticate(route: Route, req: HttpRequest, auth: Authenticator): Promise<unknown> {
  switch (route.auth) {
    case "none":
      return undefined;
    case "federation":
      if (!auth.federation) throw missingHook(route);
      return auth.federation(req);
    case "client": {
      if (!auth.client) throw missingHook(route);
      const who = await auth.client(req, true);
      if (who === undefined) throw Errors.missingToken();
      return who;
    }
    case "client-optional":
      return auth.client ? auth.client(req, false) : undefined;
  }
}

/** Fail closed: a route that needs authentication is never served without it. */
function missingHook(route: Route): Error {
  return new Error(`no ${route.auth} authenticator installed for ${route.method} ${route.pattern}`);
}
