/**
 * Malformed requests, generated per route from what the router says about it (method,
 * pattern, parameters, authentication, body mode, body limit) plus the well-formed bodies of
 * route-bodies.ts:
 *
 *   authentication   federation: no/garbled Authorization, forged signature, wrong
 *                    destination, invalid or unreachable origin, a signature replayed on
 *                    another URI or over another body; client: no/unknown/empty token
 *   parameters       invalid room/user/event IDs, aliases and server names in the path
 *   body             not JSON, invalid UTF-8, not an object, empty, deep nesting, trailing
 *                    garbage, over the route's limit (declared, and streamed chunked)
 *   fields           each required field missing, each typed field of the wrong type, a
 *                    field nested thousands deep
 *   query            curated invalid query parameters (QUERY_CASES)
 *
 * Every case expects a 4xx Matrix error and no write. Only syntactically invalid server names
 * are used, so nothing here can make the server reach past loopback.
 */
import { randomKey } from "../../../bench/lib/remote-events.js";
import type { SigningKey } from "../../../src/events/signing-json.js";
import type { JsonObject, JsonValue } from "../../../src/events/types.js";
import type { Route } from "../../../src/http/router.js";
import { CLIENT_BODIES, FEDERATION_BODIES, wrongType, type BodyContext, type BodySpec } from "./route-bodies.js";

export type Listener = "federation" | "client";

export type AuthSpec =
  | { readonly kind: "none" }
  | { readonly kind: "token"; readonly token: string }
  | { readonly kind: "header"; readonly value: string }
  | {
      readonly kind: "x-matrix";
      readonly origin?: string;
      readonly destination?: string;
      readonly key?: SigningKey;
      /** Sign this URI instead of the one sent (a replayed signature). */
      readonly signedUri?: string;
      /** Sign this content instead of the body sent. */
      readonly signedContent?: JsonValue;
    };

export interface Case {
  /** `METHOD pattern` of the route. */
  readonly route: string;
  readonly what: string;
  readonly listener: Listener;
  readonly method: string;
  readonly uri: string;
  readonly body?: Buffer;
  /** Send this Content-Length with only `body` after it. */
  readonly declaredLength?: number;
  readonly chunked?: boolean;
  readonly auth: AuthSpec;
  /** Default "4xx". "pdu-errors": 200 with an error for every PDU (per-PDU outcome of /send). */
  readonly expect?: "4xx" | "pdu-errors";
  /** Sub-databases the case may legitimately write (the recorded /send response). */
  readonly mayWrite?: readonly string[];
}

/** Unreachable on purpose: loopback ports nothing listens on. */
export const DEAD_SERVER = "127.0.0.1:2";
const DEAD_ORIGIN = "127.0.0.1:1";

export interface CaseContext extends BodyContext {
  readonly token: string;
  readonly deviceId: string;
  readonly remoteKey: SigningKey;
}

/**
 * Where a bad value has a server part, it is either no server name at all or a loopback port
 * nothing listens on: a handler that wrongly went to fetch something would never leave the
 * machine.
 */
const BAD_PARAMS: Readonly<Record<string, readonly string[]>> = {
  roomId: ["not-a-room", `@user:${DEAD_SERVER}`, `!${"x".repeat(300)}`, "!room:bad server"],
  roomIdOrAlias: ["nothing", "#", "#x:bad server", `@user:${DEAD_SERVER}`],
  userId: ["alice", "@", "@x:bad server", `#alias:${DEAD_SERVER}`, `@${"x".repeat(300)}:${DEAD_SERVER}`],
  eventId: ["event", "$", `!room:${DEAD_SERVER}`, `$${"x".repeat(300)}`],
  roomAlias: ["alias", "#", "#no-server", `!room:${DEAD_SERVER}`],
  // Not "a..b" or "-bad-": the appendix grammar (dns-name = 1*255 of [A-Za-z0-9.-]) allows them.
  serverName: ["bad server", "x:99999999", "[::1", "host:", "ex ample.org:80"],
};


let txnCounter = 0;

export function routeKey(route: Route): string {
  return `${route.method} ${route.pattern}`;
}

function validParam(name: string, route: Route, listener: Listener, c: CaseContext): string {
  switch (name) {
    case "roomId":
    case "roomIdOrAlias":
      return c.roomId;
    case "userId":
      return listener === "federation" && route.pattern.includes("/make_") ? c.remoteUser : c.localUser;
    case "eventId":
      return c.eventId;
    case "txnId":
      return `bad-input-${++txnCounter}`;
    case "eventType":
      return "m.room.message";
    case "stateKey":
      return "";
    case "deviceId":
      return c.deviceId;
    case "keyName":
      return "displayname";
    case "roomAlias":
      return `#bad-input-none:${c.serverName}`;
    case "serverName":
      return c.remoteServer;
    case "filterId":
      return "0";
    case "receiptType":
      return "m.read";
    default:
      return "x"; // free-form (rule IDs, kinds, …): no value of it is malformed as such
  }
}

function buildPath(route: Route, values: Readonly<Record<string, string>>): string {
  return route.pattern
    .split("/")
    .map((seg) => (seg.startsWith(":") ? encodeURIComponent(values[seg.slice(1)]!) : seg))
    .join("/");
}

function bodySpec(route: Route, listener: Listener, c: CaseContext): BodySpec | undefined {
  const make = (listener === "federation" ? FEDERATION_BODIES : CLIENT_BODIES)[routeKey(route)];
  return make?.(c);
}

function validAuth(route: Route, c: CaseContext): AuthSpec {
  if (route.auth === "federation") return { kind: "x-matrix" };
  if (route.auth === "client" || route.auth === "client-optional") return { kind: "token", token: c.token };
  return { kind: "none" };
}

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

/**
 * `depth` nested objects around 1: small bytes, deep structure. The key is no server name, so
 * a deep map read as "server → …" (key queries) names nothing that could be contacted.
 */
export function deepObject(depth: number): string {
  return `${'{"!":'.repeat(depth)}1${"}".repeat(depth)}`;
}

export function casesForRoute(route: Route, listener: Listener, c: CaseContext): Case[] {
  const key = routeKey(route);
  const cases: Case[] = [];
  const params: Record<string, string> = {};
  for (const name of route.paramNames) params[name] = validParam(name, route, listener, c);
  const uri = buildPath(route, params);
  const spec = bodySpec(route, listener, c);
  const hasBody = route.body !== "none" && route.body !== "raw";
  const validBody = hasBody ? json(spec?.body ?? {}) : undefined;
  const auth = validAuth(route, c);
  const add = (what: string, fields: Partial<Case>): void => {
    cases.push({ route: key, what, listener, method: route.method, uri, auth, ...(validBody ? { body: validBody } : {}), ...fields });
  };

  // Authentication.
  if (route.auth === "federation") {
    add("no Authorization header", { auth: { kind: "none" } });
    add("garbled X-Matrix header", { auth: { kind: "header", value: "X-Matrix origin=,key=,sig" } });
    add("signature by another key", { auth: { kind: "x-matrix", key: randomKey(c.remoteKey.keyId) } });
    add("wrong X-Matrix destination", { auth: { kind: "x-matrix", destination: DEAD_SERVER } });
    add("origin is not a server name", { auth: { kind: "x-matrix", origin: "bad origin!" } });
    add("origin whose keys cannot be fetched", { auth: { kind: "x-matrix", origin: DEAD_ORIGIN } });
    add("signature replayed on another URI", { auth: { kind: "x-matrix", signedUri: `${uri}x` } });
    if (hasBody) add("signature over another body", { auth: { kind: "x-matrix", signedContent: { other: "content" } } });
  } else if (route.auth === "client") {
    add("no access token", { auth: { kind: "none" } });
    add("unknown access token", { auth: { kind: "token", token: "syt_unknown_token" } });
    add("empty bearer token", { auth: { kind: "header", value: "Bearer " } });
  }

  // Path parameters.
  for (const name of route.paramNames) {
    for (const bad of BAD_PARAMS[name] ?? []) {
      add(`${name} = ${JSON.stringify(bad.length > 40 ? `${bad.slice(0, 12)}…(${bad.length})` : bad)}`, { uri: buildPath(route, { ...params, [name]: bad }) });
    }
  }

  // Bodies.
  if (hasBody) {
    add("body is not JSON", { body: Buffer.from('{"a":') });
    add("body is truncated JSON", { body: validBody!.subarray(0, Math.max(1, validBody!.length - 1)) });
    add("body is not UTF-8", { body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) });
    add("body has trailing garbage", { body: Buffer.concat([validBody!, Buffer.from(" x")]) });
    for (const v of [[], "string", 42, null, true]) add(`body is ${JSON.stringify(v)}`, { body: json(v) });
    if (route.body === "object") add("body is empty", { body: Buffer.alloc(0) });
    add("body is an array nested 20000 deep", { body: Buffer.from(`${"[".repeat(20000)}${"]".repeat(20000)}`) });
    add("Content-Length over the limit", { declaredLength: route.bodyLimit + 1, body: Buffer.from('{"a":') });
    const filler = route.bodyLimit + 1024;
    add("chunked body over the limit", { chunked: true, body: Buffer.from(`{"a":"${"x".repeat(filler)}"}`) });
  }

  // Fields.
  if (spec) {
    const mutate = (what: string, body: JsonObject): void => add(what, { body: json(body) });
    for (const field of spec.required ?? []) {
      const { [field]: _dropped, ...rest } = spec.body;
      mutate(`missing ${field}`, rest);
    }
    for (const field of spec.typed ?? []) {
      if (!(field in spec.body)) throw new Error(`${key}: typed field ${field} is not in the template body`);
    }
    for (const field of [...(spec.required ?? []), ...(spec.typed ?? [])]) {
      for (const wrong of wrongType(spec.body[field])) mutate(`${field} = ${JSON.stringify(wrong)}`, { ...spec.body, [field]: wrong as JsonValue });
    }
    const first = spec.required?.[0] ?? spec.typed?.[0];
    if (first !== undefined) {
      add(`${first} nested 4000 deep`, { body: Buffer.from(JSON.stringify({ ...spec.body, [first]: "\u0000DEEP" }).replace('"\\u0000DEEP"', deepObject(4000))) });
    }
  }

  // Query parameters.
  for (const query of QUERY_CASES[key] ?? []) add(`query ?${query}`, { uri: `${uri}${query === "" ? "" : `?${query}`}` });
  return cases;
}

/** Invalid (or missing required) query strings per route. "" = no query at all. */
const QUERY_CASES: Readonly<Record<string, readonly string[]>> = {
  "GET /_matrix/federation/v1/state/:roomId": ["", "event_id=nope"],
  "GET /_matrix/federation/v1/state_ids/:roomId": ["", "event_id=nope"],
  "GET /_matrix/federation/v1/backfill/:roomId": ["", "v=nope&limit=10", "v=%24x&limit=abc"],
  "GET /_matrix/federation/v1/timestamp_to_event/:roomId": ["", "ts=abc&dir=f", "ts=1&dir=x"],
  "GET /_matrix/federation/v1/query/profile": ["", "user_id=nope", "user_id=%40x%3Abad%20server"],
  "GET /_matrix/federation/v1/query/directory": ["", "room_alias=nope", "room_alias=%23x%3Abad%20server"],
  "GET /_matrix/federation/v1/publicRooms": ["limit=abc", "limit=-1"],
  "GET /_matrix/federation/v1/make_join/:roomId/:userId": ["ver=nope"],
  "GET /_matrix/federation/v1/make_knock/:roomId/:userId": ["", "ver=nope"],
  "GET /_matrix/key/v2/query/:serverName": ["minimum_valid_until_ts=abc"],
  "GET /_matrix/client/v3/register/available": ["", "username=bad%20name!"],
  "GET /_matrix/client/v3/keys/changes": ["", "from=nope&to=nope"],
  "GET /_matrix/client/v3/rooms/:roomId/messages": ["dir=x", "dir=b&limit=abc", "dir=b&from=garbage", "dir=b&filter=%7Bbad"],
  "GET /_matrix/client/v3/rooms/:roomId/context/:eventId": ["limit=abc", "filter=%7Bbad"],
  "GET /_matrix/client/v3/rooms/:roomId/members": ["at=garbage", "membership=bogus"],
  "GET /_matrix/client/v3/sync": ["since=garbage", "timeout=abc", "filter=%7Bbad", "set_presence=bogus"],
  "GET /_matrix/client/v3/publicRooms": ["limit=abc", "server=bad%20server"],
  "GET /_matrix/client/v1/rooms/:roomId/hierarchy": ["limit=abc", "max_depth=abc", "from=garbage"],
};
