/**
 * Joining a room through another server (server-server-api.md "Joining Rooms", caller side):
 *
 *   for each candidate resident, until one works:
 *     GET make_join?ver=<every version we support> → template; check it (MUSTs), complete it
 *     sign (crypto pool)
 *     PUT /v2/send_join (…?omit_members=true when configured); on 404 M_UNRECOGNIZED only,
 *       the deprecated v1 send_join (removed in 1.18; older peers still serve it)
 *     verify the answer: our join (as returned: restricted joins carry the resident's
 *       signature), the state and the auth chain (checks 1–3, pool batches)
 *     import: outliers, the state before our join, our join, in one write (import-join.ts)
 *
 * Partial state (`federation.omit_members_on_join`): the resident may leave member events out
 * of `state` (`members_omitted`). Conflux does not run a room on partial state: every auth
 * check of later events (check 5 uses the state before each event) would wrongly reject
 * events of members we never heard of. So a members_omitted answer is completed with
 * GET /state at our join event (the resident holds it now) before anything is stored; the
 * room is never partial here. What the option changes is the exchange, not readiness: a
 * smaller send_join answer (which some residents produce faster), then the full state.
 * A true partial-state join (return first, resync members in the background, re-derive the
 * state of events accepted meanwhile) needs support in the rooms engine.
 */
import type { App } from "../../app.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { JsonObject, RoomEvent } from "../../events/types.js";
import { logger } from "../../log.js";
import { RemoteError } from "../errors.js";
import { withQuery } from "../federation-client.js";
import { importJoin } from "./import-join.js";
import { runHandshake, type HandshakeRequest, type MembershipResult } from "./handshake.js";
import { InvalidRemoteResponse } from "./remote-errors.js";
import { completeTemplate, fetchTemplate, signTemplate, type SignedMembership } from "./template.js";
import { verifyRemoteEvents } from "./verify-remote-events.js";

const log = logger("outbound.join");


export interface JoinRemoteRequest extends HandshakeRequest {
  /** Extra `m.room.member` content from the client (displayname, avatar_url, reason). */
  readonly content?: JsonObject;
}

/**
 * Join `userId` to a room we are not in, through the first candidate that completes the
 * handshake. When our server is already in the room the join is an ordinary local event.
 * Failures are MatrixErrors for the client (remote-errors.ts documents the mapping).
 */
export function joinRemoteRoom(app: App, req: JoinRemoteRequest): Promise<MembershipResult> {
  return runHandshake(app, log, "join", req, req.content ?? {}, (server) => joinVia(app, server, req), (r) => r);
}

async function joinVia(app: App, server: string, req: JoinRemoteRequest): Promise<MembershipResult> {
  const template = await fetchTemplate(app, server, "join", req.roomId, req.userId);
  const signed = await signTemplate(app, template, completeTemplate(app, template, req.content));
  const omit = app.config.federation.omit_members_on_join;
  const answer = parseJoinAnswer(server, await sendJoin(app, server, req.roomId, signed, omit));

  let { state, authChain } = answer;
  if (answer.membersOmitted) {
    const full = await fetchState(app, server, req.roomId, signed.eventId);
    state = full.pdus;
    authChain = [...authChain, ...full.authChain];
  }

  const join = await verifyOurJoin(app, server, template.version, req.roomId, signed, answer.event);
  const checked = await verifyRemoteEvents(app, [...state, ...authChain], template.version, req.roomId);
  if (checked.dropped.length > 0) log.warn({ room_id: req.roomId, server, dropped: checked.dropped.slice(0, 20), count: checked.dropped.length }, "send_join answer had events that failed verification");
  const stateEvents = checked.events.slice(0, state.length).filter((e): e is RoomEvent => e !== undefined);
  const chainEvents = checked.events.slice(state.length).filter((e): e is RoomEvent => e !== undefined);

  const imported = await importJoin(app, { server, version: template.version, roomId: req.roomId, join, state: stateEvents, authChain: chainEvents });
  if (imported.droppedState > 0) log.warn({ room_id: req.roomId, server, dropped: imported.droppedState }, "state events that failed their auth checks were left out");
  log.info({ room_id: req.roomId, user_id: req.userId, server, event_id: imported.eventId, state: stateEvents.length }, "joined remote room");
  return { roomId: req.roomId, eventId: imported.eventId };
}

/** PUT send_join v2; the v1 endpoint only when v2 is unknown to the peer (404 M_UNRECOGNIZED). */
async function sendJoin(app: App, server: string, roomId: string, signed: SignedMembership, omitMembers: boolean): Promise<unknown> {
  const tail = `${encodeURIComponent(roomId)}/${encodeURIComponent(signed.eventId)}`;
  try {
    return await app.federation.put<unknown>(server, withQuery(`/_matrix/federation/v2/send_join/${tail}`, { omit_members: omitMembers ? "true" : undefined }), signed.pdu as never);
  } catch (err) {
    if (!(err instanceof RemoteError && err.status === 404 && err.errcode === "M_UNRECOGNIZED")) throw err;
    // removed-in-v1.18/joins-v1.yaml: the answer is `[200, {auth_chain, state}]`.
    const v1 = await app.federation.put<unknown>(server, `/_matrix/federation/v1/send_join/${tail}`, signed.pdu as never);
    if (!Array.isArray(v1) || v1.length !== 2 || typeof v1[1] !== "object") throw new InvalidRemoteResponse(server, "v1 send_join answer is not [200, {...}]");
    return v1[1];
  }
}

interface JoinAnswerFields {
  readonly state: unknown[];
  readonly authChain: unknown[];
  readonly event: unknown;
  readonly membersOmitted: boolean;
}

function parseJoinAnswer(server: string, res: unknown): JoinAnswerFields {
  if (!res || typeof res !== "object" || Array.isArray(res)) throw new InvalidRemoteResponse(server, "send_join answer is not an object");
  const r = res as { state?: unknown; auth_chain?: unknown; event?: unknown; members_omitted?: unknown };
  if (!Array.isArray(r.state) || !Array.isArray(r.auth_chain)) throw new InvalidRemoteResponse(server, "send_join answer lacks state or auth_chain");
  return { state: r.state, authChain: r.auth_chain, event: r.event, membersOmitted: r.members_omitted === true };
}

async function fetchState(app: App, server: string, roomId: string, eventId: string): Promise<{ pdus: unknown[]; authChain: unknown[] }> {
  const res = await app.federation.get<unknown>(server, withQuery(`/_matrix/federation/v1/state/${encodeURIComponent(roomId)}`, { event_id: eventId }));
  const r = res as { pdus?: unknown; auth_chain?: unknown } | null;
  if (!r || !Array.isArray(r.pdus) || !Array.isArray(r.auth_chain)) throw new InvalidRemoteResponse(server, "/state answer lacks pdus or auth_chain");
  return { pdus: r.pdus, authChain: r.auth_chain };
}

/**
 * Our join as it will be stored: the resident's copy when it sent one (joins-v2.yaml `event`:
 * "Required if the room is restricted and the joining user is authorised by one of the
 * conditions", carrying the authorising server's signature), else ours. Either way it must be
 * OUR event (same event ID, intact content) and pass checks 1–3.
 */
async function verifyOurJoin(app: App, server: string, version: RoomVersion, roomId: string, signed: SignedMembership, returned: unknown): Promise<RoomEvent> {
  const raw = returned !== undefined && returned !== null ? returned : signed.pdu;
  const { events, redacted, dropped } = await verifyRemoteEvents(app, [raw], version, roomId);
  const ev = events[0];
  if (!ev) throw new InvalidRemoteResponse(server, `our join event does not verify: ${dropped[0]?.reason ?? "unknown"}`);
  if (ev.eventId !== signed.eventId) throw new InvalidRemoteResponse(server, "the returned join event is not the one we sent");
  if (redacted.size > 0) throw new InvalidRemoteResponse(server, "the returned join event's content was altered");
  return ev;
}
