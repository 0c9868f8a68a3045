/**
 * The resident side of `PUT /send_join`, `/send_leave` and `/send_knock` (joins-v2.yaml,
 * leaving-v2.yaml, knocks.yaml; v1 shapes in removed-in-v1.18/): validate the event the
 * requesting server completed from our template, add our signature when we vouch for a
 * restricted join, and hand it to the room's actor, which runs checks 4–7, stores it and
 * queues it for every other server in the room ("The resident server must also send the event
 * to other servers participating in the room").
 *
 *   (handler: ACL)  → resident room (404) → knock needs v7+ (400 M_INCOMPATIBLE_ROOM_VERSION)
 *   → field checks (400 M_BAD_JSON / M_INVALID_PARAM) → restricted join naming our user:
 *     confirm the authorisation (400 M_UNABLE_TO_*, 403) and sign BEFORE anything persists
 *     ("the signature must be added before sending or persisting the event")
 *   → signatures, hashes, event ID (400 M_INVALID_PARAM) → actor.receiveHandshake
 *   → accepted: done; rejected or soft-failed: 403 M_FORBIDDEN; unplaced (it references events
 *     we do not have, so it was not built from our template): 400 M_INVALID_PARAM.
 *
 * A retried send_* of an event we already accepted is answered again, from what we stored.
 */
import { Errors } from "../../errors.js";
import { domainOf } from "../../events/ids.js";
import type { Pdu } from "../../events/types.js";
import type { EventRecord } from "../../storage/events.js";
import type { RoomContext } from "../room-context.js";
import { StateView } from "../state-view.js";
import { checkHandshakeEvent, verifyHandshakeEvent } from "./handshake-event.js";
import { AUTHORISING_USER, confirmAuthorisation } from "./join-authorisation.js";
import { residentRoom, type MembershipDeps } from "./resident-room.js";

export interface SendMembershipRequest {
  readonly roomId: string;
  readonly eventId: string;
  readonly origin: string;
  readonly membership: "join" | "leave" | "knock";
  readonly body: unknown;
}

export interface AcceptedHandshake {
  readonly ctx: RoomContext;
  /** The stored event (with our signature when we added one). */
  readonly record: EventRecord;
  /** We signed it as the authorising server of a restricted join. */
  readonly signedByUs: boolean;
}

export async function acceptHandshakeEvent(deps: MembershipDeps, req: SendMembershipRequest): Promise<AcceptedHandshake> {
  const ctx = residentRoom(deps, req.roomId);
  const { version } = ctx;
  if (req.membership === "knock" && !version.knocking) {
    throw Errors.incompatibleRoomVersion(version.id, "This room's version does not support knocking");
  }
  let pdu: Pdu = checkHandshakeEvent(req.body, {
    membership: req.membership,
    origin: req.origin,
    roomId: req.roomId,
    version,
    serverName: deps.serverName,
  });

  let signedByUs = false;
  const authoriser = pdu.content[AUTHORISING_USER];
  if (req.membership === "join" && version.restrictedJoins && typeof authoriser === "string" && domainOf(authoriser) === deps.serverName) {
    const state = new StateView(ctx.storage, ctx.loader, ctx.storage.rooms.getHeads(ctx.roomNid).stateRoot);
    confirmAuthorisation(ctx, state, pdu.sender, authoriser);
    [pdu] = (await deps.pool.addEventSignatures([pdu], [version.id])) as [Pdu];
    signedByUs = true;
  }

  const event = await verifyHandshakeEvent({ pool: deps.pool, keys: deps.keyRing }, pdu, version, req.roomId, req.eventId);
  const outcome = await deps.rooms.actor(req.roomId).receiveHandshake({ event }, req.origin);
  if (outcome.status === "unplaced") throw Errors.invalidParam(`The event cannot be placed in the room: ${outcome.reason}`);
  if (outcome.status !== "accepted") {
    throw Errors.forbidden(`The ${req.membership} event is not allowed: ${outcome.reason ?? outcome.status}`);
  }
  const record = ctx.storage.events.getEventByNid(outcome.nid);
  if (!record) throw Errors.internal("accepted event not found");
  return { ctx, record, signedByUs };
}
