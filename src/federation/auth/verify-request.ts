/**
 * Inbound X-Matrix authentication: the router's `federation` authenticator (server-server API
 * "Request Authentication"; checklist §4).
 *
 *   Authorization ──parse (x-matrix.ts)──► credentials, all for one origin
 *     destination present and not us ──► 401 M_UNAUTHORIZED (spec: "must deny … 401")
 *   {method, uri as received, origin, destination: us, content?} + the credentials' signatures
 *     origin's verify keys, valid now (cache, else fetched: KeyRing)
 *     CryptoPool.verifyJson ("Checking for a Signature": every signature by a known key must
 *     verify, at least one must exist)
 *   ──► FederationAuth {origin, destination, keyId}
 *
 * Only keys from `verify_keys` authenticate requests; `old_verify_keys` "are only valid for
 * signing events" ("Publishing Keys"). `content` is present exactly when the request had a
 * body. Every failure is 401 M_UNAUTHORIZED, without detail a prober could use beyond a reason.
 *
 * Several X-Matrix credentials (repeated headers) are all checked as signatures over the same
 * JSON by the same origin, as the appendix's algorithm does for several signatures; credentials
 * naming different origins are refused.
 */
import type { VerifyJsonItem, VerifyJsonResult } from "../../crypto/pool-tasks.js";
import { Errors } from "../../errors.js";
import { isValidServerName } from "../../events/ids.js";
import { checkJsonSignature, ED25519 } from "../../events/signing-json.js";
import type { JsonObject, JsonValue } from "../../events/types.js";
import type { ServerKey } from "../../events/verify-event.js";
import type { FederationAuth, HttpRequest } from "../../http/request.js";
import { requestJson } from "./request-json.js";
import { AuthHeaderError, parseXMatrix, type XMatrixCredentials } from "./x-matrix.js";

export interface RequestKeySource {
  getServerKeys(serverName: string, keyIds: readonly string[], minimumValidUntilTs: number): Promise<Map<string, ServerKey>>;
}

export interface RequestVerifier {
  verifyJson(items: VerifyJsonItem[]): Promise<VerifyJsonResult[]>;
}

/** Bodies above this are sent to the pool as bytes, not as a cloned object graph. */
const CONTENT_AS_BYTES = 4096;

export interface RequestAuthDeps {
  /** Our server name: the only acceptable `destination`. */
  readonly serverName: string;
  readonly keys: RequestKeySource;
  readonly verifier: RequestVerifier;
  readonly now?: () => number;
}

/** What of a request the signature covers. */
export interface SignedRequestParts {
  readonly method: string;
  /** Path and query exactly as received. */
  readonly uri: string;
  readonly authorization: string | undefined;
  /** The parsed body, or `undefined` when the request had none. */
  readonly content: JsonValue | undefined;
  /** The body bytes `content` was parsed from, when there was a body. */
  readonly contentBytes?: Uint8Array;
}

/** Reasons `checkJsonSignature` gives; anything else the pool reports is an exception's text. */
const SIGNATURE_REASONS = new Set(["no_signatures", "no_known_algorithm", "no_key", "bad_signature"]);

export async function authenticateRequest(deps: RequestAuthDeps, req: SignedRequestParts): Promise<FederationAuth> {
  if (req.authorization === undefined || req.authorization === "") throw Errors.unauthorized("Missing Authorization header");
  let creds: XMatrixCredentials[];
  try {
    creds = parseXMatrix(req.authorization);
  } catch (err) {
    throw Errors.unauthorized(`Malformed Authorization header: ${(err as AuthHeaderError).message}`);
  }
  if (creds.length === 0) throw Errors.unauthorized("No X-Matrix credentials in the Authorization header");
  const origin = creds[0]!.origin;
  if (!isValidServerName(origin)) throw Errors.unauthorized("X-Matrix origin is not a valid server name");
  for (const c of creds) {
    if (c.origin !== origin) throw Errors.unauthorized("X-Matrix credentials name different origins");
    if (c.destination !== undefined && c.destination !== deps.serverName) {
      throw Errors.unauthorized("X-Matrix destination is not this server");
    }
  }
  // Signatures of algorithms we do not know cannot be checked; the appendix ignores them.
  const sigs: Record<string, string> = {};
  for (const c of creds) if (c.key.startsWith(`${ED25519}:`)) sigs[c.key] = c.sig;
  const keyIds = Object.keys(sigs);
  if (keyIds.length === 0) throw Errors.unauthorized("No ed25519 signature in the X-Matrix credentials");

  const now = (deps.now ?? Date.now)();
  const found = await deps.keys.getServerKeys(origin, keyIds, now);
  const usable: Record<string, Uint8Array> = {};
  for (const [keyId, k] of found) if (k.expiredTs === undefined && k.validUntilTs >= now) usable[keyId] = k.key;
  const usableIds = keyIds.filter((k) => usable[k] !== undefined);
  if (usableIds.length === 0) throw Errors.unauthorized("Unknown or expired signing key");

  const asBytes = req.contentBytes !== undefined && req.contentBytes.length > CONTENT_AS_BYTES;
  const parts = { method: req.method, uri: req.uri, origin, destination: deps.serverName };
  const object: JsonObject = { ...requestJson(parts, asBytes ? undefined : req.content), signatures: { [origin]: sigs } };
  const [result] = await deps.verifier.verifyJson([
    asBytes ? { object, signer: origin, keys: usable, contentJson: req.contentBytes! } : { object, signer: origin, keys: usable },
  ]);
  let ok = result?.ok === true;
  if (!ok && result?.reason !== undefined && !SIGNATURE_REASONS.has(result.reason)) {
    // The pool encodes strictly (room v6+ canonical JSON) and failed on the content, e.g. a
    // float in a v1–v5 event: senders sign such bodies with the permissive encoding. Rare, so
    // it is checked here rather than widening the pool's task format.
    const full: JsonObject = { ...requestJson(parts, req.content), signatures: { [origin]: sigs } };
    ok = checkJsonSignature(full, origin, (_s, keyId) => usable[keyId], false).ok;
  }
  if (!ok) throw Errors.unauthorized("Invalid X-Matrix signature");
  return { origin, destination: creds[0]!.destination, keyId: usableIds[0]! };
}

/** The parts of an HTTP request the signature covers. */
export function signedParts(req: HttpRequest): SignedRequestParts {
  let content: JsonValue | undefined;
  if (req.rawBody.length > 0) {
    if (req.body !== undefined) {
      content = req.body as JsonValue;
    } else {
      try {
        content = JSON.parse(req.rawBody.toString("utf8")) as JsonValue;
      } catch {
        throw Errors.unauthorized("Request body is not JSON, so it cannot be signed");
      }
    }
  }
  return {
    method: req.method,
    uri: req.uri,
    authorization: req.headers.authorization,
    content,
    ...(content !== undefined ? { contentBytes: req.rawBody } : {}),
  };
}

/** The router's `Authenticator.federation` hook. */
export function federationAuthenticator(deps: RequestAuthDeps): (req: HttpRequest) => Promise<FederationAuth> {
  return (req) => authenticateRequest(deps, signedParts(req));
}
