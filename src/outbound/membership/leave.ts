/**
 * Leaving a room we are not in (server-server-api.md "Leaving Rooms (Rejecting Invites)"):
 * rejecting a remote invite, or retracting a knock ("Servers can retract knocks over
 * federation by leaving the room"). make_leave → check the template → sign → send_leave v2
 * (v1 only when v2 is unknown to the peer: 404 M_UNRECOGNIZED). The resident sends the event
 * on to the room. Afterwards the user's pending invite / knock entry is removed, recording the
 * leave event: it is in none of our rooms, and the user's /sync shows it in `rooms.leave`.
 *
 * When our server IS in the room, a leave is an ordinary local event (the handshake exists
 * because "remote invites/knocks … do not involve the server in the graph").
 */
import type { App } from "../../app.js";
import { getRoomVersion } from "../../events/room-versions.js";
import type { JsonObject } from "../../events/types.js";
import { logger } from "../../log.js";
import { newCarriedEventId } from "../../rooms/local/build-event.js";
import { membershipStore, type EndingLeave, type PendingMembership } from "../../rooms/membership/membership-store.js";
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
      const leave = await leaveVia(app, server, req);
      const store = membershipStore(app.storage);
      await store.removePending(req.userId, req.roomId, leave);
      return { roomId: req.roomId, eventId: leave.eventId };
    },
    (r) => r,
  );
}

async function leaveVia(app: App, server: string, req: LeaveRemoteRequest): Promise<EndingLeave> {
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
  return { eventId: signed.eventId, event: signed.pdu };
}

/**
 * The leave we record when no resident could be reached to reject an invite or withdraw a
 * knock: the pending membership is dropped locally anyway (client/rooms/membership-actions.ts),
 * and the user's clients need a leave event to drop it too (/sync `rooms.leave`). Like
 * Synapse's "out-of-band" leave it is ours alone: signed, sent nowhere, part of no DAG we
 * hold, so it has no prev or auth events.
 */
export async function outOfBandLeave(app: App, pending: PendingMembership, content: JsonObject = {}): Promise<EndingLeave> {
  const version = getRoomVersion(pending.roomVersion);
  if (!version) throw new Error(`pending membership in unknown room version ${pending.roomVersion}`);
  const event: JsonObject = {
    type: "m.room.member",
    room_id: pending.roomId,
    sender: pending.userId,
    state_key: pending.userId,
    content: { ...content, membership: "leave" },
    origin: app.serverName,
    origin_server_ts: Date.now(),
    depth: (typeof pending.event.depth === "number" ? pending.event.depth : 0) + 1,
    prev_events: [],
    auth_events: [],
  };
  if (version.eventIdFormat === "carried") event.event_id = newCarriedEventId(app.serverName);
  const [signed] = await app.pool.signEvents([event], [version.id]);
  return { eventId: signed!.eventId, event: signed!.pdu };
}
