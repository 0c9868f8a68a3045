/**
 * Notary endpoints (server-server API "Querying Keys Through Another Server"; keys_query.yaml,
 * definitions/keys_query_response.yaml; checklist §3):
 *   GET  /_matrix/key/v2/query/{serverName}?minimum_valid_until_ts=
 *   POST /_matrix/key/v2/query  {"server_keys": {server: {keyId: {minimum_valid_until_ts}}}}
 * Unauthenticated, like every key endpoint.
 *
 * parse → for each server, the held responses (KeyRing.notaryResponses: refreshed from the
 * server when stale, the last ones served when it is unreachable, none when we know nothing) →
 * our signature added next to the origin's (CryptoPool.signJson, one batch for the whole
 * answer) → `{"server_keys": [...]}`.
 * - `minimum_valid_until_ts` absent → "the notary server MUST use the current time".
 * - No servers → an empty `server_keys`; a server without key IDs → all its keys.
 * - Our own server name → our own published key response, which is already signed by us.
 * - Malformed server names are answered like unknown servers: left out.
 */
import { z } from "zod";
import type { App } from "../app.js";
import type { CryptoPool } from "../crypto/pool.js";
import { Errors } from "../errors.js";
import { isValidServerName } from "../events/ids.js";
import type { JsonObject } from "../events/types.js";
import { json, type HttpResponse } from "../http/request.js";
import type { Router } from "../http/router.js";
import type { KeyRing } from "../outbound/key-fetcher.js";
import { ServerKeyPublisher, type KeyPublisherApp } from "./keys-server.js";

export interface NotaryDeps {
  readonly serverName: string;
  readonly keyRing: Pick<KeyRing, "notaryResponses">;
  readonly signer: Pick<CryptoPool, "signJson">;
  /** Our own signed key response (what GET /_matrix/key/v2/server serves). */
  readonly ownKeys: () => JsonObject;
  readonly now?: () => number;
}

/** What is asked about one server: key IDs (none = all keys) with their minimum validity. */
export interface ServerKeyQuery {
  /** key ID → minimum_valid_until_ts (absent: `minimum`, else now). */
  readonly keyIds: ReadonlyMap<string, number | undefined>;
  /** The GET form's minimum, which applies to every key. */
  readonly minimum?: number;
}

/** server name → what is asked about it. */
export type KeyQuery = ReadonlyMap<string, ServerKeyQuery>;

/** The notary answer for a query: `{"server_keys": [...]}`. */
export async function queryServerKeys(deps: NotaryDeps, query: KeyQuery): Promise<{ server_keys: JsonObject[] }> {
  const now = (deps.now ?? Date.now)();
  const own: JsonObject[] = [];
  const remote = await Promise.all(
    [...query].map(([serverName, q]) => {
      if (serverName === deps.serverName) {
        own.push(deps.ownKeys());
        return [];
      }
      const minimum = q.minimum ?? now;
      const criteria = new Map<string, number>();
      for (const [keyId, min] of q.keyIds) criteria.set(keyId, min ?? minimum);
      return deps.keyRing.notaryResponses(serverName, criteria, minimum);
    }),
  );
  const signed = await deps.signer.signJson(remote.flat());
  return { server_keys: [...own, ...signed] };
}

const criteriaSchema = z.object({ minimum_valid_until_ts: z.number().int().optional() });
const postSchema = z.object({ server_keys: z.record(z.string(), z.record(z.string(), criteriaSchema)).optional() });

/** Parse a POST body into a query. Throws 400 M_BAD_JSON when it does not match keys_query.yaml. */
export function parseKeyQueryBody(body: unknown): KeyQuery {
  const parsed = postSchema.safeParse(body);
  if (!parsed.success) throw Errors.badJson(`Invalid key query: ${parsed.error.issues[0]?.message ?? "bad shape"}`);
  const out = new Map<string, ServerKeyQuery>();
  for (const [server, keys] of Object.entries(parsed.data.server_keys ?? {})) {
    // A batch may name a server that is not one; it is left out (nothing is known of it).
    if (!isValidServerName(server)) continue;
    out.set(server, { keyIds: new Map(Object.entries(keys).map(([keyId, c]) => [keyId, c.minimum_valid_until_ts])) });
  }
  return out;
}

/** Parse the GET form. Throws 400 M_INVALID_PARAM on a bad server name or a non-integer minimum. */
export function parseKeyQueryGet(serverName: string, minimum: string | null): KeyQuery {
  if (!isValidServerName(serverName)) throw Errors.invalidParam(`Not a server name: ${serverName}`);
  let min: number | undefined;
  if (minimum !== null) {
    if (!/^-?\d{1,16}$/.test(minimum)) throw Errors.invalidParam("minimum_valid_until_ts must be an integer");
    min = Number(minimum);
  }
  // One server, all its keys.
  return new Map([[serverName, min === undefined ? { keyIds: new Map() } : { keyIds: new Map(), minimum: min }]]);
}

export interface NotaryServices {
  readonly keyRing: Pick<KeyRing, "notaryResponses">;
  readonly pool: Pick<CryptoPool, "signJson">;
}

/**
 * Register both notary routes. The `App` must carry the key ring and the crypto pool; once it
 * does, this is a plain `RouteRegistrar`.
 */
export function registerKeyQueryRoutes(router: Router, app: KeyPublisherApp & NotaryServices): void {
  const publisher = new ServerKeyPublisher(app);
  let ownBytes: Uint8Array | string | undefined;
  let ownJson: JsonObject | undefined;
  const deps: NotaryDeps = {
    serverName: app.serverName,
    keyRing: app.keyRing,
    signer: app.pool,
    ownKeys: () => {
      const bytes = publisher.response().bytes;
      if (bytes !== ownBytes || ownJson === undefined) {
        ownBytes = bytes;
        ownJson = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8")) as JsonObject;
      }
      return ownJson;
    },
  };
  router.get("/_matrix/key/v2/query/:serverName", async (req): Promise<HttpResponse> => {
    const query = parseKeyQueryGet(req.params.serverName!, req.query.get("minimum_valid_until_ts"));
    return json(await queryServerKeys(deps, query));
  });
  router.post(
    "/_matrix/key/v2/query",
    async (req): Promise<HttpResponse> => json(await queryServerKeys(deps, parseKeyQueryBody(req.body))),
    // An empty POST asks for nothing: answer it like `{"server_keys": {}}`.
    { body: "object-or-empty" },
  );
}
