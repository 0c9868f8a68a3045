/**
 * Knocking on a room we are not in (server-server-api.md "Knocking upon a room"; knocks.yaml):
 * make_knock (`ver` required) → check the template (the caller MUSTs) → sign → send_knock →
 * `knock_room_state`, which "MUST contain the m.room.create event" and whose entries are full
 * PDUs; "Entries which are improperly signed or formatted SHOULD be removed by the server
 * prior to supplying them over the Client-Server API", so each passes checks 1–3 and is then
 * reduced to stripped state. The knock and that state go to the membership store, where
 * /sync's `knock` section reads them.
 *
 * When our server is in the room, a knock is an ordinary local event.
 */
import type { App } from "../../app.js";
import type { JsonObject } from "../../events/types.js";
import { logger } from "../../log.js";
import { membershipStore } from "../../rooms/membership/membership-store.js";
import { toStrippedState, type StrippedStateEvent } from "../../rooms/membership/stripped-state.js";
import { runHandshake, type HandshakeRequest, type MembershipResult } from "./handshake.js";
import { InvalidRemoteResponse } from "./remote-errors.js";
import { completeTemplate, fetchTemplate, signTemplate } from "./template.js";
import { verifyRemoteEvents } from "./verify-remote-events.js";

const log = logger("outbound.knock");

export interface KnockRemoteRequest extends HandshakeRequest {
  readonly reason?: string;
}

export interface KnockResult extends MembershipResult {
  /** What the client sees of the room until it is let in. */
  readonly knockRoomState: readonly StrippedStateEvent[];
}

export function knockRemoteRoom(app: App, req: KnockRemoteRequest): Promise<KnockResult> {
  const content: JsonObject = req.reason !== undefined ? { reason: req.reason } : {};
  return runHandshake(app, log, "knock", req, content, (server) => knockVia(app, server, req, content), (r) => ({ ...r, knockRoomState: [] }));
}

async function knockVia(app: App, server: string, req: KnockRemoteRequest, content: JsonObject): Promise<KnockResult> {
  const template = await fetchTemplate(app, server, "knock", req.roomId, req.userId);
  const signed = await signTemplate(app, template, completeTemplate(app, template, content));
  const res = await app.federation.put<unknown>(
    server,
    `/_matrix/federation/v1/send_knock/${encodeURIComponent(req.roomId)}/${encodeURIComponent(signed.eventId)}`,
    signed.pdu as never,
  );
  const raw = res && typeof res === "object" && !Array.isArray(res) ? (res as { knock_room_state?: unknown }).knock_room_state : undefined;
  if (!Array.isArray(raw)) throw new InvalidRemoteResponse(server, "send_knock answer has no knock_room_state");

  const checked = await verifyRemoteEvents(app, raw, template.version, req.roomId);
  if (checked.dropped.length > 0) log.warn({ room_id: req.roomId, server, dropped: checked.dropped.slice(0, 10), count: checked.dropped.length }, "knock_room_state entries removed");
  const stripped: StrippedStateEvent[] = [];
  const seen = new Set<string>();
  for (const ev of checked.events) {
    if (!ev || ev.stateKey === undefined) continue;
    const slot = `${ev.type}\u0000${ev.stateKey}`;
    if (seen.has(slot)) continue;
    seen.add(slot);
    stripped.push(toStrippedState({ type: ev.type, state_key: ev.stateKey, sender: ev.sender, content: ev.content }));
  }
  if (!stripped.some((s) => s.type === "m.room.create")) log.warn({ room_id: req.roomId, server }, "knock_room_state has no valid m.room.create (knocks.yaml: MUST)");

  await membershipStore(app.storage).putKnock({
    userId: req.userId,
    roomId: req.roomId,
    roomVersion: template.version.id,
    event: signed.pdu,
    strippedState: stripped,
    origin: server,
  });
  log.info({ room_id: req.roomId, user_id: req.userId, server, event_id: signed.eventId }, "knocked on remote room");
  return { roomId: req.roomId, eventId: signed.eventId, knockRoomState: stripped };
}
