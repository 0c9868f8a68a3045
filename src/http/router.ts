/**
 * Method + path routing for one listener.
 *
 * Patterns are `/`-separated; a segment starting with `:` is a parameter
 * (`/_matrix/federation/v1/send/:txnId`). Matching works on the raw (percent-encoded) path
 * split at literal `/`, and each segment is decoded on its own, so an encoded `%2F` stays
 * inside its parameter (room aliases, event types and state keys may contain `/`). One
 * trailing slash is tolerated. Static segments win over parameters, with backtracking.
 *
 * Outcomes follow server-server API "Unsupported endpoints": an unknown path is
 * 404 M_UNRECOGNIZED, a known path with an unsupported method is 405 M_UNRECOGNIZED (we also
 * send `Allow`, RFC 9110 §15.5.6). On CORS routes (client-server API "Web Browser Clients")
 * every `OPTIONS` request is a preflight answered without running any endpoint logic.
 */
import { Errors } from "../errors.js";
import type { Authenticator, AuthMode, AuthResults, BodyMode, Handler, RouteOptions } from "./request.js";

export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly paramNames: readonly string[];
  readonly handler: Handler<unknown>;
  readonly auth: AuthMode;
  readonly body: BodyMode;
  readonly bodyLimit: number;
  readonly cors: boolean;
}

export type RouteMatch =
  | { readonly kind: "found"; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: "preflight" }
  | { readonly kind: "method-not-allowed"; readonly allow: string; readonly cors: boolean }
  | { readonly kind: "not-found"; readonly cors: boolean };

export interface RouterOptions {
  /** Answer preflights and send CORS headers on every response (the client listener). */
  readonly cors: boolean;
  /** Body limit for routes that do not set their own. */
  readonly defaultBodyLimit: number;
}

interface Node {
  statics: Map<string, Node> | undefined;
  param: Node | undefined;
  routes: Map<string, Route> | undefined;
  /** `Allow` header value, recomputed on registration. */
  allow: string;
  /** Some route on this exact path wants CORS. */
  cors: boolean;
}

const NOT_FOUND_PLAIN: RouteMatch = { kind: "not-found", cors: false };
const NOT_FOUND_CORS: RouteMatch = { kind: "not-found", cors: true };
const PREFLIGHT: RouteMatch = { kind: "preflight" };
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function newNode(): Node {
  return { statics: undefined, param: undefined, routes: undefined, allow: "", cors: false };
}

export class Router {
  readonly cors: boolean;
  readonly defaultBodyLimit: number;
  private readonly root: Node = newNode();
  private authenticator: Authenticator = {};

  constructor(options: RouterOptions) {
    this.cors = options.cors;
    this.defaultBodyLimit = options.defaultBodyLimit;
  }

  /** Install (or extend) the authentication hooks; see `Authenticator`. */
  setAuthenticator(hooks: Authenticator): void {
    this.authenticator = { ...this.authenticator, ...hooks };
  }

  get auth(): Authenticator {
    return this.authenticator;
  }

  get<M extends AuthMode = "none">(pattern: string, handler: Handler<AuthResults[M]>, options?: RouteOptions<M>): this {
    return this.add("GET", pattern, handler, options);
  }

  put<M extends AuthMode = "none">(pattern: string, handler: Handler<AuthResults[M]>, options?: RouteOptions<M>): this {
    return this.add("PUT", pattern, handler, options);
  }

  post<M extends AuthMode = "none">(pattern: string, handler: Handler<AuthResults[M]>, options?: RouteOptions<M>): this {
    return this.add("POST", pattern, handler, options);
  }

  delete<M extends AuthMode = "none">(pattern: string, handler: Handler<AuthResults[M]>, options?: RouteOptions<M>): this {
    return this.add("DELETE", pattern, handler, options);
  }

  add<M extends AuthMode = "none">(
    method: string,
    pattern: string,
    handler: Handler<AuthResults[M]>,
    options: RouteOptions<M> = {},
  ): this {
    if (!/^[A-Z]+$/.test(method)) throw new Error(`route method must be upper-case: ${method}`);
    if (method === "OPTIONS") throw new Error("OPTIONS is answered by the router (CORS preflight)");
    if (!pattern.startsWith("/")) throw new Error(`route pattern must start with '/': ${pattern}`);
    const segments = trimSlash(pattern).slice(1).split("/");
    const paramNames: string[] = [];
    let node = this.root;
    for (const seg of segments) {
      if (seg.startsWith(":")) {
        const name = seg.slice(1);
        if (!name || paramNames.includes(name)) throw new Error(`bad or duplicate parameter in ${pattern}`);
        paramNames.push(name);
        node = node.param ??= newNode();
      } else {
        node.statics ??= new Map();
        let next = node.statics.get(seg);
        if (!next) node.statics.set(seg, (next = newNode()));
        node = next;
      }
    }
    node.routes ??= new Map();
    if (node.routes.has(method)) throw new Error(`route registered twice: ${method} ${pattern}`);
    const route: Route = {
      method,
      pattern,
      paramNames,
      handler: handler as Handler<unknown>,
      auth: options.auth ?? "none",
      body: options.body ?? (method === "POST" || method === "PUT" ? "object" : "none"),
      bodyLimit: options.bodyLimit ?? this.defaultBodyLimit,
      cors: options.cors ?? this.cors,
    };
    node.routes.set(method, route);
    node.cors ||= route.cors;
    const methods = [...node.routes.keys()];
    if (node.cors) methods.push("OPTIONS");
    node.allow = methods.sort().join(", ");
    return this;
  }

  /** Every registered route (read-only; tests enumerate endpoints, docs list them). */
  routes(): Route[] {
    const out: Route[] = [];
    const visit = (node: Node): void => {
      if (node.routes) out.push(...node.routes.values());
      if (node.statics) for (const next of node.statics.values()) visit(next);
      if (node.param) visit(node.param);
    };
    visit(this.root);
    return out;
  }

  /**
   * Resolve `method` + raw `path` (no query string). Throws 400 M_INVALID_PARAM when a path
   * segment has malformed percent-encoding.
   */
  match(method: string, path: string): RouteMatch {
    const trimmed = trimSlash(path);
    const segments = trimmed.length <= 1 ? [""] : trimmed.slice(1).split("/");
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      if (seg.includes("%")) segments[i] = decodeSegment(seg);
    }
    const values: string[] = [];
    const found = walk(this.root, segments, 0, method, values);
    if (found === undefined) {
      if (method === "OPTIONS" && this.cors) return PREFLIGHT;
      return this.cors ? NOT_FOUND_CORS : NOT_FOUND_PLAIN;
    }
    const route = found.routes!.get(method);
    if (route) {
      const names = route.paramNames;
      if (names.length === 0) return { kind: "found", route, params: NO_PARAMS };
      const params: Record<string, string> = {};
      for (let i = 0; i < names.length; i++) params[names[i]!] = values[i]!;
      return { kind: "found", route, params };
    }
    const cors = this.cors || found.cors;
    if (method === "OPTIONS" && cors) return PREFLIGHT;
    return { kind: "method-not-allowed", allow: found.allow, cors };
  }
}

/**
 * Depth-first match. Returns the terminal node for the path, preferring one that has `method`;
 * `values` holds the parameter values along the returned path.
 */
function walk(node: Node, segs: string[], i: number, method: string, values: string[]): Node | undefined {
  if (i === segs.length) return node.routes ? node : undefined;
  const seg = segs[i]!;
  const base = values.length;
  let fallback: Node | undefined;
  let fallbackValues: string[] | undefined;
  const next = node.statics?.get(seg);
  if (next) {
    const hit = walk(next, segs, i + 1, method, values);
    if (hit) {
      if (hit.routes!.has(method)) return hit;
      fallback = hit;
      fallbackValues = values.slice();
    }
  }
  // A parameter never matches an empty segment (`/rooms//state`).
  if (node.param && seg !== "") {
    values.length = base;
    values.push(seg);
    const hit = walk(node.param, segs, i + 1, method, values);
    if (hit && (hit.routes!.has(method) || !fallback)) return hit;
  }
  values.length = base;
  if (fallback) values.push(...fallbackValues!.slice(base));
  return fallback;
}

function trimSlash(path: string): string {
  return path.length > 1 && path.charCodeAt(path.length - 1) === 47 /* / */ ? path.slice(0, -1) : path;
}

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw Errors.invalidParam("Malformed percent-encoding in request path");
  }
}
