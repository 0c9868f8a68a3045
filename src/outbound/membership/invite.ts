/**
 * Inviting a user of another server to one of our rooms (server-server-api.md "Inviting to a
 * room"; invites-v2.yaml, invites-v1.yaml):
 *
 *   1. build the invite on the room's current extremities and check it against the current
 *      state (inside the room's actor: a short job, no network), sign it in the pool;
 *   2. PUT /v2/invite {room_version, event, invite_room_state} to the invitee's server, with
 *      the room state as full PDUs including m.room.create (1.16); for room versions 1 and 2
 *      only, a 400 or 404 answer means an older server: retry with /v1/invite, whose body is
 *      the event with `unsigned.invite_room_state` and whose answer is `[200, {event}]`;
 *   3. the answer must be OUR event (same event ID, content intact) with the invitee server's
 *      valid signature added ("Once the event has been signed by both the inviting homeserver
 *      and the invited homeserver, it can be sent to all of the servers in the room");
 *   4. persist it through the actor like any local event: checks 4–7, then it fans out to the
 *      room's servers (and the invitee's) through the outbound queue.
 *
 * The actor is not held during the remote call: the room keeps working, and the invite may end
 * up beside newer events (a small fork that the next event merges).
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { domainOf } from "../../events/ids.js";
import { redact } from "../../events/redaction.js";
import type { JsonObject, Pdu } from "../../events/types.js";
import { logger } from "../../log.js";
import { buildEventTemplate } from "../../rooms/local/build-event.js";
import { strippedStateRecords } from "../../rooms/membership/stripped-state.js";
import { checkTemplate } from "../../rooms/membership/template.js";
import { StateView } from "../../rooms/state-view.js";
import type { MembershipResult } from "./handshake.js";
import { InvalidRemoteResponse, toClientError } from "./remote-errors.js";
import { requestInvite } from "./invite-request.js";
import { verifyRemoteEvents } from "./verify-remote-events.js";

const log = logger("outbound.invite");

export interface InviteRemoteRequest {
  readonly roomId: string;
  /** The inviting local user. */
  readonly sender: string;
  /** A user of another server. */
  readonly invitee: string;
  /** Extra `m.room.member` content (reason, displayname, …). */
  readonly content?: JsonObject;
}

export async function inviteRemoteUser(app: App, req: InviteRemoteRequest): Promise<MembershipResult> {
  const inviteeServer = domainOf(req.invitee);
  if (!inviteeServer) throw Errors.invalidParam(`${req.invitee} is not a user ID`);
  if (inviteeServer === app.serverName) throw Errors.invalidParam("local users are invited with an ordinary room event");
  if (!app.rooms.context(req.roomId)) throw Errors.notFound(`Unknown room ${req.roomId}`);
  const actor = app.rooms.actor(req.roomId);

  // 1. template on the current heads, checked against the current state before signing.
  const { template, version, offered } = await actor.exclusive(async () => {
    const ctx = actor.context();
    const heads = app.storage.rooms.getHeads(ctx.roomNid);
    const t = buildEventTemplate(ctx, { type: "m.room.member", stateKey: req.invitee, sender: req.sender, content: { ...(req.content ?? {}), membership: "invite" } }, heads);
    const allowed = checkTemplate(ctx, t, new StateView(ctx.storage, ctx.loader, heads.stateRoot));
    if (!allowed.allowed) throw Errors.forbidden(allowed.reason);
    return { template: t, version: ctx.version, offered: strippedStateRecords(ctx, heads.stateRoot).map((r) => r.pdu) };
  });
  const [signed] = await app.pool.signEvents([template], [version.id]);
  const eventId = signed!.eventId;

  // 2. the invitee's server signs (or refuses).
  let returned: unknown;
  try {
    returned = await requestInvite(app.federation, { server: inviteeServer, roomId: req.roomId, eventId, version, pdu: signed!.pdu, offered });
  } catch (err) {
    log.info({ room_id: req.roomId, invitee: req.invitee, err: String(err) }, "remote invite failed");
    throw toClientError(err, "invite");
  }

  // 3. our event, their signature.
  try {
    const { events, redacted, dropped } = await verifyRemoteEvents(app, [returned], version, req.roomId);
    const ev = events[0];
    if (!ev) throw new InvalidRemoteResponse(inviteeServer, `returned invite does not verify: ${dropped[0]?.reason ?? "unknown"}`);
    if (ev.eventId !== eventId || redacted.size > 0) throw new InvalidRemoteResponse(inviteeServer, "returned invite is not the event we sent");
    await checkInviteeSignature(app, inviteeServer, ev.pdu, version.enforceKeyValidity ? ev.originServerTs : 0, version);

    // 4. through the actor, fanned out like any local event.
    const [outcome] = await actor.exclusive(() => actor.receiveNow([{ event: ev }], undefined, true));
    if (!outcome || outcome.status !== "accepted") {
      throw Errors.forbidden(`invite not accepted: ${outcome && "reason" in outcome ? outcome.reason : "unknown"}`);
    }
    log.info({ room_id: req.roomId, invitee: req.invitee, event_id: eventId }, "invited remote user");
    return { roomId: req.roomId, eventId };
  } catch (err) {
    throw toClientError(err, "invite");
  }
}

/** The invitee's server must have signed the invite (we only have the sender's checked so far). */
async function checkInviteeSignature(app: App, server: string, pdu: Pdu, minimumValidUntilTs: number, version: Parameters<typeof redact>[1]): Promise<void> {
  const keyIds = Object.keys(pdu.signatures[server] ?? {});
  if (keyIds.length === 0) throw new InvalidRemoteResponse(server, "the invitee's server did not sign the invite");
  const known = await app.keyRing.getServerKeys(server, keyIds, minimumValidUntilTs);
  const keys: Record<string, Uint8Array> = {};
  for (const [id, k] of known) if (k.validUntilTs >= minimumValidUntilTs) keys[id] = k.key;
  const [r] = await app.pool.verifyJson([{ object: redact(pdu, version), signer: server, keys }]);
  if (!r?.ok) throw new InvalidRemoteResponse(server, `the invitee server's signature does not verify: ${r?.reason ?? "unknown"}`);
}
