/**
 * Third-party invites over federation (third_party_invite.yaml; server-server-api.md
 * "Third-party invites"):
 *
 * - `PUT /_matrix/federation/v1/exchange_third_party_invite/{roomId}` → `{}` once the invite is
 *   issued (src/rooms/membership/exchange-third-party-invite.ts). ACL-protected like every
 *   room-scoped endpoint.
 * - `PUT /_matrix/federation/v1/3pid/onbind` is called by identity servers, unauthenticated.
 *   Conflux does not trust identity servers (there is no identity-server configuration to
 *   decide which ones may speak for a binding), so it declines every notification with 403
 *   M_FORBIDDEN rather than act on an unverifiable claim. Third-party invites of local users
 *   are therefore not completed here; the exchange endpoint above works for other servers'
 *   users.
 */
import { Errors } from "../../errors.js";
import { json, type FederationAuth, type Handler } from "../../http/request.js";
import { exchangeThirdPartyInvite, type ExchangeDeps } from "../../rooms/membership/exchange-third-party-invite.js";
import { assertServerAllowed } from "../acl.js";

export function exchangeThirdPartyInviteHandler(deps: ExchangeDeps): Handler<FederationAuth> {
  return async (req) => {
    const roomId = req.params.roomId!;
    assertServerAllowed(deps.storage, roomId, req.auth.origin);
    await exchangeThirdPartyInvite(deps, { roomId, origin: req.auth.origin, body: req.body });
    return json({});
  };
}

export const onBindHandler: Handler = () => {
  throw Errors.forbidden("This server does not accept third-party identifier bindings from identity servers");
};
