/**
 * The invitee's side of `PUT /invite` (invites-v1.yaml, invites-v2.yaml; server-server-api.md
 * "Inviting to a room"; modules/invite_permission.md):
 *
 *   (handler: body shape, room version supported, ACL)
 *   → field checks: `m.room.member`, membership `invite`, sender on the origin, room and
 *     event ID as in the path (400 M_BAD_JSON / M_INVALID_PARAM)
 *   → the target is not an active user of ours → 403 M_FORBIDDEN: an invite we refuse
 *     ("The homeserver refuses to participate"); we keep no invites for nobody
 *   → the target blocks invites → 403 M_INVITE_BLOCKED
 *   → signatures and hashes (400 M_INVALID_PARAM)
 *   → the offered room state (offered-room-state.ts: strict → 400 M_INVALID_PARAM, else warn)
 *   → our signature added, nothing else touched ("All other fields of the events should
 *     remain untouched")
 *   → if we are in the room, the invite goes through the room's actor now like any PDU
 *     (checks 4–7; not fanned out: "it can be sent to all of the servers in the room by the
 *     inviting homeserver"). If our view of the room forbids it (rejected, soft-failed) we
 *     refuse to countersign: 403 M_FORBIDDEN. If we cannot place it yet (we lack its prev
 *     events), it will come again through /send; the pending invite is still recorded.
 *   → recorded as a pending invite of the user (membership-store.ts) for /sync, with stripped
 *     state from our own copy of the room when we are in it, else from the offered state.
 */
import { UserStore } from "../../accounts/users.js";
import { Errors } from "../../errors.js";
import { domainOf } from "../../events/ids.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { Pdu } from "../../events/types.js";
import { toRoomEvent } from "../../events/event.js";
import { checkHandshakeEvent, verifyHandshakeEvent } from "./handshake-event.js";
import { invitePermissions } from "./invite-permission.js";
import { membershipStore } from "./membership-store.js";
import { validateOfferedRoomState } from "./offered-room-state.js";
import { isResident, type MembershipDeps } from "./resident-room.js";
import { strippedStateAt } from "./stripped-state.js";

export interface InviteRequest {
  readonly roomId: string;
  readonly eventId: string;
  readonly origin: string;
  readonly version: RoomVersion;
  /** The invite event as sent (v1: the whole body). */
  readonly event: unknown;
  /** `invite_room_state` (v2) or `event.unsigned.invite_room_state` (v1); may be absent. */
  readonly inviteRoomState: readonly unknown[] | undefined;
}

/** Returns the invite event with our signature added. */
export async function receiveInvite(deps: MembershipDeps, req: InviteRequest): Promise<Pdu> {
  const { version } = req;
  const room = deps.storage.rooms.getRoom(req.roomId);
  if (room && room.version !== version.id) throw Errors.invalidParam(`The room's version is ${room.version}, not ${version.id}`);
  const pdu = checkHandshakeEvent(req.event, {
    membership: "invite",
    origin: req.origin,
    roomId: req.roomId,
    version,
    serverName: deps.serverName,
  });
  const invitee = pdu.state_key!;
  assertInviteeIsOurs(deps, invitee);
  if (invitePermissions(deps.storage).isBlocked(invitee)) throw Errors.inviteBlocked("The user does not accept invites");

  const checkDeps = { pool: deps.pool, keys: deps.keyRing };
  const event = await verifyHandshakeEvent(checkDeps, pdu, version, req.roomId, req.eventId);
  const offered = await validateOfferedRoomState(checkDeps, req.inviteRoomState ?? [], version, req.roomId);
  if (offered.problems.length > 0) {
    deps.log.warn({ room_id: req.roomId, event_id: req.eventId, origin: req.origin, problems: offered.problems }, "invite room state fails validation; accepted for this room version");
  }

  const [signed] = (await deps.pool.addEventSignatures([pdu], [version.id])) as [Pdu];
  // What we keep is the event without the transport-only `unsigned` section (v1 carries the
  // offered room state there); the answer keeps it untouched.
  const { unsigned: _unsigned, ...stored } = signed;

  let strippedState = offered.strippedState;
  if (room && isResident(deps, room.roomNid)) {
    const [outcome] = await deps.rooms.actor(req.roomId).receive([{ event: toRoomEvent(stored as Pdu, version, event.eventId, req.roomId) }], req.origin);
    if (outcome && (outcome.status === "rejected" || outcome.status === "soft_failed")) {
      throw Errors.forbidden(`The invite is not allowed in this room: ${outcome.reason ?? outcome.status}`);
    }
    // Our own copy of the room's state beats what the inviting server offered.
    const ctx = deps.rooms.context(req.roomId)!;
    strippedState = strippedStateAt(ctx, ctx.storage.rooms.getHeads(ctx.roomNid).stateRoot);
  }

  await membershipStore(deps.storage).putInvite({
    userId: invitee,
    roomId: req.roomId,
    roomVersion: version.id,
    event: stored as Pdu,
    strippedState,
    origin: req.origin,
  });
  return signed;
}

function assertInviteeIsOurs(deps: MembershipDeps, invitee: string): void {
  if (domainOf(invitee) !== deps.serverName) throw Errors.forbidden("The invited user is not on this server");
  const account = new UserStore(deps.storage.store).get(invitee);
  if (account === undefined || account.deactivated) throw Errors.forbidden("The invited user has no active account on this server");
}
