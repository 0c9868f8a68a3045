/**
 * Leaving a room we are not in (server-server-api.md "Leaving Rooms (Rejecting Invites)"):
 * rejecting a remote invite, or retracting a knock ("Servers can retract knocks over
 * federation by leaving the room"). make_leave → check the template → sign → send_leave v2
 * (v1 only when v2 is unknown to the peer: 404 M_UNRECOGNIZED). The resident sends the event
 * on to the room. Afterwards the user's pending invite / knock entry is removed.
 *
 * When our server IS in the room, a leave is an ordinary local event (the handshake exists
 * because "remote invites/knocks … do not involve the server in the graph").
 */
import type { App } from "../../app.js";
import type { JsonObject } from "../../events/types.js";
import { logger } from "../../log.js";
import { membershipStore } from "../../rooms/membership/membership-store.js";
import { RemoteError } from "../errors.js";
import { runHandshake, type HandshakeRequest, type MembershipResult } from "./handshake.js";
import { InvalidRemoteResponse } from "./remote-errors.js";
import { completeTemplate, fetchTemplate, signTemplate } from "./template.js";

const log = logger("outbound.leave");

export interface LeaveRemoteRequest extends HandshakeRequest {
  /** Extra content, e.g. `reason`. */
  readonly content?: JsonObject;
}

export function leaveRemoteRoom(app: App, req: LeaveRemoteRequest): Promise<MembershipResult> {
  return runHandshake(
    app,
    log,
    "leave",
    req,
    req.content ?? {},
    async (server) => {
      const result = await leaveVia(app, server, req);
      const store = membershipStore(app.storage);
      await store.removeInvite(req.userId, req.roomId);
      await store.removeKnock(req.userId, req.roomId);
      return result;
    },
    (r) => r,
  );
}

async function leaveVia(app: App, server: string, req: LeaveRemoteRequest): Promise<MembershipResult> {
  const template = await fetchTemplate(app, server, "leave", req.roomId, req.userId);
  const signed = await signTemplate(app, template, completeTemplate(app, template, req.content));
  const tail = `${encodeURIComponent(req.roomId)}/${encodeURIComponent(signed.eventId)}`;
  try {
    await app.federation.put(server, `/_matrix/federation/v2/send_leave/${tail}`, signed.pdu as never);
  } catch (err) {
    if (!(err instanceof RemoteError && err.status === 404 && err.errcode === "M_UNRECOGNIZED")) throw err;
    // removed-in-v1.18/leaving-v1.yaml: the answer is `[200, {}]`.
    const v1 = await app.federation.put<unknown>(server, `/_matrix/federation/v1/send_leave/${tail}`, signed.pdu as never);
    if (!Array.isArray(v1)) throw new InvalidRemoteResponse(server, "v1 send_leave answer is not [200, {}]");
  }
  log.info({ room_id: req.roomId, user_id: req.userId, server, event_id: signed.eventId }, "left remote room");
  return { roomId: req.roomId, eventId: signed.eventId };
}
