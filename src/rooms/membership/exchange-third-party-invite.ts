/**
 * The inviting side of `PUT /_matrix/federation/v1/exchange_third_party_invite/{roomId}`
 * (third_party_invite.yaml; server-server-api.md "Third-party invites"). An identity server
 * told the invitee's homeserver that its user owns a third-party identifier that was invited;
 * that server, not being in the room, asks us (a resident) to turn the partial invite into a
 * real one: "The receiving server will verify the partial m.room.member event given in the
 * request body. If valid, the receiving server will issue an invite as per the Inviting to a
 * room section before returning a response to this request."
 *
 *   resident room (404) → the partial event: `m.room.member`, the path's room, membership
 *   `invite`, `third_party_invite.signed` naming the target (400 M_BAD_JSON /
 *   M_INVALID_PARAM) → the target is a user of the requesting server, who alone received the
 *   identity server's `signed` blob (else 403) → the room's `m.room.third_party_invite` for
 *   `signed.token` exists and was sent by `sender` (else 403) → our template of the invite,
 *   with the display name from that state event (as the auth rules will see it), checked by the
 *   auth rules — which verify `signed` against the identity server's public keys — and signed
 *   by us (403 when not allowed) → `PUT /v2/invite` to the target's server for its signature
 *   (v1 for rooms v1/v2 if v2 is refused with 400/404) → stored and sent to every server in
 *   the room by the room's actor.
 *
 * `key_validity_url` is not consulted: the spec asks to verify the association "without
 * having to rely on a third-party server".
 */
import { z } from "zod";
import { Errors } from "../../errors.js";
import { toRoomEvent } from "../../events/event.js";
import { referenceHash } from "../../events/hashes.js";
import { domainOf, isHistoricalUserId } from "../../events/ids.js";
import type { JsonObject, Pdu } from "../../events/types.js";
import type { App } from "../../app.js";
import { RemoteError } from "../../outbound/errors.js";
import { requestInvite } from "../../outbound/membership/invite-request.js";
import { InvalidRemoteResponse } from "../../outbound/membership/remote-errors.js";
import { MEMBER, THIRD_PARTY_INVITE } from "../auth/types.js";
import { buildEventTemplate } from "../local/build-event.js";
import type { RoomContext } from "../room-context.js";
import { StateView } from "../state-view.js";
import { residentRoom, type MembershipDeps } from "./resident-room.js";
import { strippedStateRecords } from "./stripped-state.js";
import { checkTemplate } from "./template.js";

export type ExchangeDeps = MembershipDeps & Pick<App, "federation">;

const Signed = z.looseObject({ mxid: z.string(), token: z.string(), signatures: z.record(z.string(), z.unknown()) });
const PartialInvite = z.object({
  type: z.string(),
  room_id: z.string(),
  sender: z.string(),
  state_key: z.string(),
  content: z.looseObject({
    membership: z.string(),
    third_party_invite: z.looseObject({ display_name: z.string().optional(), signed: Signed }),
  }),
});

export interface ExchangeRequest {
  readonly roomId: string;
  readonly origin: string;
  readonly body: unknown;
}

export async function exchangeThirdPartyInvite(deps: ExchangeDeps, req: ExchangeRequest): Promise<void> {
  const parsed = PartialInvite.safeParse(req.body);
  if (!parsed.success) throw Errors.badJson(`Invalid partial invite event: ${parsed.error.issues[0]?.message ?? "bad shape"}`);
  const partial = parsed.data;
  if (partial.type !== MEMBER) throw Errors.invalidParam("Not an m.room.member event");
  if (partial.room_id !== req.roomId) throw Errors.invalidParam("The event is not for the room in the request path");
  if (partial.content.membership !== "invite") throw Errors.invalidParam("Not an invite event");
  if (!isHistoricalUserId(partial.sender) || !isHistoricalUserId(partial.state_key)) throw Errors.invalidParam("sender and state_key must be user IDs");
  const signed = partial.content.third_party_invite.signed;
  if (signed.mxid !== partial.state_key) throw Errors.invalidParam("third_party_invite.signed.mxid is not the state_key");

  const ctx = residentRoom(deps, req.roomId);
  if (domainOf(partial.state_key) !== req.origin) throw Errors.forbidden("The invited user is not on the requesting server");
  const heads = ctx.storage.rooms.getHeads(ctx.roomNid);
  const state = new StateView(ctx.storage, ctx.loader, heads.stateRoot);
  const thirdPartyInvite = state.get(THIRD_PARTY_INVITE, signed.token);
  if (!thirdPartyInvite) throw Errors.forbidden("No third-party invite in this room matches the token");
  if (thirdPartyInvite.sender !== partial.sender) throw Errors.forbidden("The sender did not issue this third-party invite");

  const displayName = thirdPartyInvite.content["display_name"];
  const content: JsonObject = {
    membership: "invite",
    third_party_invite: {
      display_name: typeof displayName === "string" ? displayName : (partial.content.third_party_invite.display_name ?? ""),
      signed: signed as JsonObject,
    },
  };
  const template = buildEventTemplate(ctx, { type: MEMBER, stateKey: partial.state_key, sender: partial.sender, content }, heads);
  const verdict = checkTemplate(ctx, template, state);
  if (!verdict.allowed) throw Errors.forbidden(`The third-party invite cannot be exchanged: ${verdict.reason}`);
  const [ours] = await deps.pool.signEvents([template], [ctx.version.id]);

  const invitee = domainOf(partial.state_key)!;
  const countersigned = await requestInviteSignature(deps, ctx, invitee, ours!.pdu, ours!.eventId);
  const event = toRoomEvent(countersigned, ctx.version, ours!.eventId, ctx.roomId);
  const actor = deps.rooms.actor(req.roomId);
  const [outcome] = await actor.exclusive(() => actor.receiveNow([{ event }], undefined, true));
  if (!outcome || outcome.status !== "accepted") {
    throw Errors.forbidden(`The invite was not accepted into the room: ${outcome && "reason" in outcome ? outcome.reason : "unknown"}`);
  }
}

/**
 * "Inviting to a room" as the inviting server: the invitee's server adds its signature and
 * returns the event. We keep our copy and take only that server's signatures from the answer,
 * after checking it is the same event (same reference hash).
 */
async function requestInviteSignature(deps: ExchangeDeps, ctx: RoomContext, invitee: string, pdu: Pdu, eventId: string): Promise<Pdu> {
  const offered = strippedStateRecords(ctx, ctx.storage.rooms.getHeads(ctx.roomNid).stateRoot).map((r) => r.pdu);
  let returned: unknown;
  try {
    returned = await requestInvite(deps.federation, { server: invitee, roomId: ctx.roomId, eventId, version: ctx.version, pdu, offered });
  } catch (err) {
    // An answer without the event is a refusal to countersign, like a different event.
    if (!(err instanceof InvalidRemoteResponse)) throw inviteFailure(invitee, err);
  }
  const theirs = returned as Pdu | undefined;
  const sigs = theirs?.signatures?.[invitee];
  let same = false;
  try {
    same = theirs !== undefined && referenceHash(theirs, ctx.version).equals(referenceHash(pdu, ctx.version));
  } catch {
    same = false;
  }
  if (!same || !sigs) throw Errors.forbidden("The invited user's server did not countersign the invite");
  return { ...pdu, signatures: { ...pdu.signatures, [invitee]: sigs } };
}

function inviteFailure(invitee: string, err: unknown): Error {
  if (err instanceof RemoteError) return Errors.forbidden(`The invited user's server refused the invite (${err.status}${err.errcode ? ` ${err.errcode}` : ""})`);
  return Errors.unavailable(`The invited user's server ${invitee} could not be reached`);
}
