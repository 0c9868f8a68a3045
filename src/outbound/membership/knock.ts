/**
 * Knocking on a room we are not in (server-server-api.md "Knocking upon a room"; knocks.yaml):
 * make_knock (`ver` required) → check the template (the caller MUSTs) → sign → send_knock →
 * `knock_room_state`, which "MUST contain the m.room.create event" and whose entries are full
 * PDUs; "Entries which are improperly signed or formatted SHOULD be removed by the server
 * prior to supplying them over the Client-Server API", so they go through the validation
 * invites get (rooms/membership/offered-room-state.ts, pruning) and are reduced to stripped
 * state. The knock and that state go to the membership store, where /sync's `knock` section
 * reads them.
 *
 * When our server is in the room, a knock is an ordinary local event.
 */
import type { App } from "../../app.js";
import type { JsonObject } from "../../events/types.js";
import { logger } from "../../log.js";
import { membershipStore } from "../../rooms/membership/membership-store.js";
import { validateOfferedRoomState } from "../../rooms/membership/offered-room-state.js";
import type { StrippedStateEvent } from "../../rooms/membership/stripped-state.js";
import { runHandshake, type HandshakeRequest, type MembershipResult } from "./handshake.js";
import { InvalidRemoteResponse } from "./remote-errors.js";
import { completeTemplate, fetchTemplate, signTemplate } from "./template.js";
import { isJsonObject } from "../../json.js";

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
  const raw = isJsonObject(res) ? res.knock_room_state : undefined;
  if (!Array.isArray(raw)) throw new InvalidRemoteResponse(server, "send_knock answer has no knock_room_state");

  const offered = await validateOfferedRoomState({ pool: app.pool, keys: app.keyRing }, raw, template.version, req.roomId, { prune: true });
  if (offered.problems.length > 0) {
    log.warn({ room_id: req.roomId, server, problems: offered.problems.slice(0, 10), count: offered.problems.length }, "knock_room_state entries removed");
  }
  // One entry per (type, state_key): the first one offered.
  const seen = new Set<string>();
  const stripped: StrippedStateEvent[] = [];
  for (const s of offered.strippedState) {
    const slot = `${s.type}\u0000${s.state_key}`;
    if (seen.has(slot)) continue;
    seen.add(slot);
    stripped.push(s);
  }

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
