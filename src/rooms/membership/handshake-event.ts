/**
 * Receiver-side validation of the membership events of `send_join`, `send_leave`,
 * `send_knock` and `/invite` (joins-v2.yaml, leaving-v2.yaml, knocks.yaml, invites-v*.yaml;
 * the shared rule of Matrix 1.18). The receiving server "MUST apply certain validation before
 * accepting the event … servers SHOULD return `M_INVALID_PARAM` if":
 *
 * - the event fails a signature check (and, here, a content-hash check: a handshake event
 *   whose hash fails would be redacted into a different event than the one offered, so it
 *   is refused rather than accepted in redacted form);
 * - the type is not `m.room.member`;
 * - `content.membership` is not the endpoint's membership;
 * - the sender is not a user of the origin server (invites made from a third-party invite
 *   are the exception: "sender" is whoever sent the `m.room.third_party_invite`);
 * - send_*: `state_key` ≠ `sender`; invite: `state_key` is not a user on our server.
 *
 * We also refuse an event for another room than the path's, and one whose event ID is not the
 * path's. A body that is not a PDU of the room version at all (missing fields, wrong types) is
 * 400 `M_BAD_JSON`.
 *
 * Two stages: `checkHandshakeEvent` (synchronous field checks, before anything costs money)
 * and `verifyHandshakeEvent` (signatures and hashes in the crypto pool, receipt checks 1–3).
 */
import { Errors } from "../../errors.js";
import { domainOf } from "../../events/ids.js";
import { checkPduFormat } from "../../events/pdu-format.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { Pdu, RoomEvent } from "../../events/types.js";
import { MEMBER, objectField } from "../auth/types.js";
import { checkFormatAndSignatures, type CheckDeps } from "../pipeline/check-signatures.js";

export type HandshakeMembership = "join" | "leave" | "knock" | "invite";

export interface HandshakeExpectation {
  readonly membership: HandshakeMembership;
  /** The authenticated requesting server. */
  readonly origin: string;
  /** The path's room ID. */
  readonly roomId: string;
  readonly version: RoomVersion;
  /** Our server name. */
  readonly serverName: string;
}

/** Field checks; returns the body as a PDU of the room version. Throws 400. */
export function checkHandshakeEvent(raw: unknown, exp: HandshakeExpectation): Pdu {
  const format = checkPduFormat(raw, exp.version);
  if (!format.ok) throw Errors.badJson(`Not a valid event for room version ${exp.version.id}: ${format.reason}`);
  const pdu = format.pdu;
  if (pdu.type !== MEMBER) throw Errors.invalidParam("Not an m.room.member event");
  if (pdu.content["membership"] !== exp.membership) throw Errors.invalidParam(`Not ${exp.membership === "invite" ? "an" : "a"} ${exp.membership} event`);
  if (pdu.room_id !== exp.roomId) throw Errors.invalidParam("The event is not for the room in the request path");
  if (pdu.state_key === undefined) throw Errors.invalidParam("The event has no state_key");

  if (exp.membership === "invite") {
    const thirdParty = objectField(pdu.content, "third_party_invite") !== undefined;
    if (!thirdParty && domainOf(pdu.sender) !== exp.origin) throw Errors.invalidParam("The sender is not a user of the requesting server");
  } else {
    if (domainOf(pdu.sender) !== exp.origin) throw Errors.invalidParam("The sender is not a user of the requesting server");
    if (pdu.state_key !== pdu.sender) throw Errors.invalidParam("The state_key is not the sender");
  }
  return pdu;
}

/**
 * Receipt checks 1–3 for one handshake event: format, every required signature, content hash;
 * and the event ID must be the path's. Returns the normalised event. Throws 400 M_INVALID_PARAM.
 */
export async function verifyHandshakeEvent(deps: CheckDeps, pdu: Pdu, version: RoomVersion, roomId: string, eventId: string): Promise<RoomEvent> {
  const [check] = await checkFormatAndSignatures(deps, [{ raw: pdu, version, roomId }]);
  if (!check || !check.ok) throw Errors.invalidParam(`The event fails the signature check: ${check?.reason ?? "unknown"}`);
  if (check.redacted) throw Errors.invalidParam("The event fails the content hash check");
  if (check.event.eventId !== eventId) throw Errors.invalidParam(`The event's ID is ${check.event.eventId}, not the one in the request path`);
  return check.event;
}
