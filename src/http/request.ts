/**
 * The handler-facing side of the HTTP front end: what a handler receives, what it returns,
 * and the options a route is registered with. Nothing here touches uWebSockets.js, so handlers
 * and their tests never see the native objects (which are only valid inside a uWS callback).
 */
import type { Logger } from "../log.js";

/** What the X-Matrix authenticator proved (server-server API "Request Authentication"). */
export interface FederationAuth {
  /** The verified `origin` server name. */
  readonly origin: string;
  /** `destination` from the header when present (it MUST then be our server name). */
  readonly destination: string | undefined;
  /** The key ID whose signature verified. */
  readonly keyId: string;
}

/** What the access-token authenticator proved (client-server API "Client Authentication"). */
export interface ClientAuth {
  readonly userId: string;
  readonly deviceId: string | undefined;
  readonly isGuest: boolean;
}

/**
 * Route authentication modes and what each puts in `req.auth`. The interfaces above may be
 * widened by the modules that implement them (TypeScript declaration merging) without changing
 * this file's callers.
 */
export interface AuthResults {
  none: undefined;
  federation: FederationAuth;
  client: ClientAuth;
  /** Clients MAY authenticate (e.g. `/versions` since v1.10); `undefined` when they did not. */
  "client-optional": ClientAuth | undefined;
}
export type AuthMode = keyof AuthResults;

/**
 * The hooks the router calls before a handler whose route asks for authentication. They are
 * plugged in after start-up by the modules that own X-Matrix and access tokens; a route that
 * needs a hook nobody installed fails closed (500), it is never served unauthenticated.
 *
 * Both throw `MatrixError` on failure (401 M_UNAUTHORIZED / M_MISSING_TOKEN / M_UNKNOWN_TOKEN,
 * 403 M_FORBIDDEN). `federation` runs after the body is parsed, because the X-Matrix signature
 * covers the request content.
 */
export interface Authenticator {
  federation?(req: HttpRequest): Promise<FederationAuth> | FederationAuth;
  /** `required` is false for "client-optional": return `undefined` when no token was sent. */
  client?(req: HttpRequest, required: boolean): Promise<ClientAuth | undefined> | ClientAuth | undefined;
}

/**
 * How a route wants its body:
 * - "object": a JSON object (server-server "API standards": POST/PUT bodies are JSON objects);
 *   empty → 400 M_NOT_JSON, other JSON → 400 M_BAD_JSON.
 * - "object-or-empty": as "object", but an empty body reads as `{}` (e.g. client `/logout`).
 * - "json": any JSON value.
 * - "raw": bytes only, `body` stays `undefined` (media upload).
 * - "none": not read at all.
 */
export type BodyMode = "object" | "object-or-empty" | "json" | "raw" | "none";

export interface HttpRequest<A = unknown> {
  /** Upper-case method as sent (`GET`, `PUT`, …). */
  readonly method: string;
  /** Request path as sent, still percent-encoded, without the query string. */
  readonly path: string;
  /** Path and query exactly as sent: the `uri` an X-Matrix signature covers. */
  readonly uri: string;
  /** Route parameters, percent-decoded per segment (`%2F` stays inside its parameter). */
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters; repeated keys (`?ver=1&ver=2`) are all kept, read them with `getAll`. */
  readonly query: URLSearchParams;
  /** Header names lower-case; repeated headers joined with ", " (RFC 9110 §5.3). */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed body per the route's `BodyMode`; `undefined` for "raw" and "none". */
  readonly body: unknown;
  /** The body bytes as received (empty when the route does not read a body). */
  readonly rawBody: Buffer;
  /** Peer IP address as text. */
  readonly remoteAddress: string;
  /** Filled by the route's authenticator before the handler runs. */
  readonly auth: A;
}

/** Per-request context handed to handlers next to the request. */
export interface RequestContext {
  /** True once the peer went away. Long handlers may stop early; writing is guarded anyway. */
  readonly aborted: boolean;
  /** The listener's logger. Add Matrix identifiers as fields, not in messages. */
  readonly log: Logger;
}

export interface JsonResponse {
  readonly status: number;
  /** Any JSON-serialisable value; arrays are allowed for the v1 `[200, {...}]` shapes. */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface BytesResponse {
  readonly status: number;
  /** Pre-serialised bytes (e.g. cached signed JSON) or a media payload. */
  readonly bytes: Uint8Array | string;
  readonly contentType: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type HttpResponse = JsonResponse | BytesResponse;

export type Handler<A = unknown> = (req: HttpRequest<A>, ctx: RequestContext) => Promise<HttpResponse> | HttpResponse;

export interface RouteOptions<M extends AuthMode = AuthMode> {
  /** Default "none". */
  readonly auth?: M;
  /** Default "object" for POST and PUT, "none" for every other method. */
  readonly body?: BodyMode;
  /** Maximum body size in bytes; default the router's (`limits.max_request_body_bytes`). */
  readonly bodyLimit?: number;
  /** Send CORS headers and answer preflights for this route even if the router does not. */
  readonly cors?: boolean;
}

export function json(body: unknown, status = 200, headers?: Readonly<Record<string, string>>): JsonResponse {
  return headers ? { status, body, headers } : { status, body };
}

export function bytes(data: Uint8Array | string, contentType: string, status = 200): BytesResponse {
  return { status, bytes: data, contentType };
}

export function isBytesResponse(r: HttpResponse): r is BytesResponse {
  return (r as BytesResponse).bytes !== undefined;
}
