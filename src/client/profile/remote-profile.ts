/**
 * Profiles of remote users, asked of their server with `GET /_matrix/federation/v1/query/profile`
 * (server-server query.yaml; client-server "Profiles": "homeservers SHOULD query the remote
 * server for the user's profile information"). The remote's 403/404 pass through; an
 * unreachable or misbehaving server is 502.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { domainOf } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import { RemoteError } from "../../outbound/errors.js";
import { withQuery } from "../../outbound/federation-client.js";

const TIMEOUT_MS = 10_000;

/** The remote user's profile, or with `field` just `{[field]: value}` (404 when unset). */
export async function fetchRemoteProfile(app: App, userId: string, field?: string): Promise<JsonObject> {
  const server = domainOf(userId);
  if (server === null) throw Errors.invalidParam("Invalid user ID");
  let response: unknown;
  try {
    response = await app.federation.get(server, withQuery("/_matrix/federation/v1/query/profile", { user_id: userId, field }), {
      timeoutMs: TIMEOUT_MS,
    });
  } catch (err) {
    if (err instanceof RemoteError && err.status === 404) throw Errors.notFound("Profile not found");
    if (err instanceof RemoteError && err.status === 403) throw Errors.forbidden("The user's server refused the profile lookup");
    throw Errors.unknown(`Could not fetch the profile from ${server}`, 502);
  }
  if (typeof response !== "object" || response === null || Array.isArray(response)) {
    throw Errors.unknown(`${server} sent a malformed profile`, 502);
  }
  const profile = response as JsonObject;
  if (field === undefined) return withoutNulls(profile);
  const value = profile[field];
  // query.yaml: a field the user has not set is omitted or null.
  if (value === undefined || value === null) throw Errors.notFound("Profile field not found");
  return { [field]: value };
}

function withoutNulls(profile: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(profile)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
