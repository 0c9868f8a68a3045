/**
 * `PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}[?omit_members=true]` (joins-v2.yaml)
 * and the v1 form removed in Matrix 1.18 but still served for older peers
 * (removed-in-v1.18/joins-v1.yaml: `[200, {auth_chain, state}]`).
 *
 * parse → ACL → accept the join (src/rooms/membership/accept-handshake.ts: validation, our
 * signature on restricted joins, the room actor) → answer with the state before the join and
 * its auth chain, spliced from stored JSON text (join-state.ts), plus `event` when we signed
 * it ("Required if the room is restricted and the joining user is authorised by one of the
 * conditions"). v1 has no `omit_members`; it gets the same `event` when we signed, which its
 * schema does not forbid.
 */
import { Errors } from "../../errors.js";
import { bytes, type FederationAuth, type Handler, type HttpRequest } from "../../http/request.js";
import { acceptHandshakeEvent } from "../../rooms/membership/accept-handshake.js";
import { joinStateAndAuthChain, sendJoinBody, serversInRoomBefore } from "../../rooms/membership/join-state.js";
import type { MembershipDeps } from "../../rooms/membership/resident-room.js";
import { assertServerAllowed } from "../acl.js";

const JSON_TYPE = "application/json";

export function sendJoinV2Handler(deps: MembershipDeps): Handler<FederationAuth> {
  return async (req) => bytes(await sendJoin(deps, req, parseOmitMembers(req.query.get("omit_members"))), JSON_TYPE);
}

export function sendJoinV1Handler(deps: MembershipDeps): Handler<FederationAuth> {
  return async (req) => bytes(await sendJoin(deps, req, false, { before: "[200,", after: "]" }), JSON_TYPE);
}

async function sendJoin(
  deps: MembershipDeps,
  req: HttpRequest<FederationAuth>,
  omitMembers: boolean,
  wrap?: { before: string; after: string },
): Promise<Buffer> {
  const roomId = req.params.roomId!;
  const origin = req.auth.origin;
  assertServerAllowed(deps.storage, roomId, origin);
  const { ctx, record, signedByUs } = await acceptHandshakeEvent(deps, {
    roomId,
    eventId: req.params.eventId!,
    origin,
    membership: "join",
    body: req.body,
  });
  const { state, authChain } = joinStateAndAuthChain(ctx, record, { omitMembers });
  return sendJoinBody(
    {
      state,
      authChain,
      ...(signedByUs ? { event: record.pduBytes } : {}),
      ...(omitMembers ? { serversInRoom: serversInRoomBefore(ctx, origin, record) } : {}),
    },
    wrap,
  );
}

/** A boolean query parameter: "true" / "false" / absent. */
function parseOmitMembers(value: string | null): boolean {
  if (value === null || value === "false") return false;
  if (value === "true") return true;
  throw Errors.invalidParam("omit_members must be true or false");
}
