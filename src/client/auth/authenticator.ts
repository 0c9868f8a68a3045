/**
 * The client access-token authenticator (client-server API "Using access tokens"): the token
 * comes from `Authorization: Bearer <token>` or, deprecated but still required of servers, the
 * `access_token` query parameter. No token → 401 M_MISSING_TOKEN (for routes that require
 * one); a token we do not know (never issued, logged out, device deleted) → 401
 * M_UNKNOWN_TOKEN with `soft_logout: false`: our tokens do not expire, so a dead one is dead.
 *
 * Installed in src/server.ts with `routers.client.setAuthenticator({ client:
 * clientAuthenticator(app) })`. Handlers of `auth: "client"` routes read the caller with
 * `requireClient(req)`.
 */
import type { App } from "../../app.js";
import { accountsOf } from "../../accounts/of-app.js";
import { Errors } from "../../errors.js";
import type { Authenticator, ClientAuth, HttpRequest } from "../../http/request.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The access token a request carries, if any (header first, then the query parameter). */
export function accessTokenOf(req: HttpRequest): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = BEARER.exec(header);
    if (m) return m[1];
  }
  const query = req.query.get("access_token");
  return query === null || query === "" ? undefined : query;
}

export function clientAuthenticator(app: App): NonNullable<Authenticator["client"]> {
  const accounts = accountsOf(app);
  return (req, required) => {
    const token = accessTokenOf(req);
    if (token === undefined) {
      if (required) throw Errors.missingToken();
      return undefined;
    }
    const owner = accounts.authenticate(token);
    if (owner === undefined) throw Errors.unknownToken();
    accounts.touch(owner, req.remoteAddress);
    const auth: ClientAuth = { userId: owner.userId, deviceId: owner.deviceId, isGuest: false };
    return auth;
  };
}

/** The authenticated caller of an `auth: "client"` (or authenticated "client-optional") route. */
export function requireClient(req: HttpRequest): ClientAuth & { readonly deviceId: string } {
  const auth = req.auth as ClientAuth | undefined;
  if (auth === undefined) throw Errors.missingToken();
  if (auth.deviceId === undefined) throw Errors.forbidden("This endpoint needs a device-bound access token");
  return auth as ClientAuth & { readonly deviceId: string };
}

/** 403 unless the caller is `userId` (endpoints that act on one's own account). */
export function requireSelf(auth: ClientAuth, userId: string): void {
  if (auth.userId !== userId) throw Errors.forbidden("You cannot act on behalf of another user");
}
