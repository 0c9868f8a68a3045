/**
 * Membership changes a local user asks for, whether the room is one our server is in (an
 * ordinary local event through the room's actor) or not (a federation handshake through
 * src/outbound/membership): client-server-api "Room membership", joining.yaml, knocking.yaml,
 * inviting.yaml, leaving.yaml, kicking.yaml, banning.yaml. The endpoint files (join.ts,
 * knock.ts, membership.ts) and `PUT /state/m.room.member/{userId}` (state.ts) all come here.
 *
 * - Join, our server in the room: the join is checked against the current state inside the
 *   actor. In a restricted room a joiner who is not invited "MUST" meet an allow condition
 *   (client-server "Restricted rooms"): we check `m.room_membership` against the rooms we are
 *   in, and name one of our users able to invite in `join_authorised_via_users_server` (the
 *   auth rules require it, and our signature covers it). Not met → 403; an allowed room we are
 *   not in cannot be checked → 403 too ("If no conditions can be verified … the user will not
 *   be able to join").
 * - Join, not in the room: make_join/send_join through the candidates: `via`/`server_name`,
 *   the inviter's server, the servers we last knew in the room, the room ID's server.
 * - Leave when not in the room: rejecting a remote invite or retracting a remote knock
 *   (make_leave/send_leave through the inviter's/knock's server). If no server can be reached
 *   the pending invite/knock is still dropped locally and the call succeeds: the user asked to
 *   be rid of it, and the room keeps its own view (other homeservers reject locally too); a
 *   leave event of our own, sent nowhere, tells the user's clients.
 * - Invite: local invitees get an ordinary event (unless they block invites: 403
 *   M_INVITE_BLOCKED, modules/invite_permission.md); remote invitees go through the invite
 *   handshake. Already invited → nothing to do ("or was already invited").
 */
import type { App } from "../../app.js";
import { accountsOf } from "../../accounts/of-app.js";
import { Errors } from "../../errors.js";
import { domainOf } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import { logger } from "../../log.js";
import { inviteRemoteUser, joinRemoteRoom, knockRemoteRoom, leaveRemoteRoom, outOfBandLeave, weAreInRoom } from "../../outbound/membership/index.js";
import { JOIN_RULES, MEMBER } from "../../rooms/auth/types.js";
import { invitePermissions } from "../../rooms/membership/invite-permission.js";
import {
  AUTHORISING_USER, allowedRooms, chooseAuthorisingUser, evaluateConditions, needsAuthorisation,
} from "../../rooms/membership/join-authorisation.js";
import { membershipStore, type PendingMembership } from "../../rooms/membership/membership-store.js";
import { StateView } from "../../rooms/state-view.js";

const log = logger("client.membership");

export interface MembershipOutcome {
  readonly roomId: string;
  /** The membership event (new, or the current one when nothing had to change). */
  readonly eventId: string | undefined;
}

/** The user's profile fields for a join (client-server "Profiles": member events carry them). */
function profileFields(app: App, userId: string): JsonObject {
  return { ...accountsOf(app).profiles.memberFields(userId) };
}

/** `content` without `membership` (the action decides it; a client's extra fields keep theirs). */
export function withoutMembership(content: JsonObject): JsonObject {
  const out = { ...content };
  delete out.membership;
  return out;
}

/** Candidate residents for a handshake, best first, deduplicated, never ourselves. */
function candidates(app: App, roomId: string, via: readonly string[], pending: readonly (PendingMembership | undefined)[]): string[] {
  const out: string[] = [...via];
  for (const p of pending) {
    if (!p) continue;
    if (p.origin) out.push(p.origin);
    const inviter = domainOf(p.event.sender);
    if (inviter) out.push(inviter);
  }
  const room = app.storage.rooms.getRoom(roomId);
  if (room) out.push(...app.storage.rooms.joinedServers(room.roomNid));
  const roomServer = domainOf(roomId);
  if (roomServer) out.push(roomServer);
  return [...new Set(out)].filter((s) => s !== app.serverName);
}

// ---- join ----------------------------------------------------------------------------------

export async function joinRoom(app: App, userId: string, roomId: string, via: readonly string[], extra: JsonObject = {}): Promise<MembershipOutcome> {
  const content: JsonObject = { ...profileFields(app, userId), ...withoutMembership(extra) };
  if (!weAreInRoom(app, roomId)) {
    const store = membershipStore(app.storage);
    const servers = candidates(app, roomId, via, [store.invite(userId, roomId), store.knock(userId, roomId)]);
    const r = await joinRemoteRoom(app, { roomId, userId, servers, content });
    // The pending-membership tracker ends the invite too, but after its own write; a client
    // that syncs right after its join must not still see the invite.
    await store.removePending(userId, roomId);
    return { roomId, eventId: r.eventId };
  }
  const actor = app.rooms.actor(roomId);
  return actor.exclusive(async () => {
    const ctx = actor.context();
    const state = new StateView(ctx.storage, ctx.loader, app.storage.rooms.getHeads(ctx.roomNid).stateRoot);
    const current = state.get(MEMBER, userId);
    if (current?.content["membership"] === "join") return { roomId, eventId: current.eventId };
    if (needsAuthorisation(ctx, state, userId)) {
      const verdict = evaluateConditions(ctx, userId, allowedRooms(state.get(JOIN_RULES, "")?.content));
      if (verdict === "failed") throw Errors.forbidden("You do not meet any of the room's join conditions");
      if (verdict === "unverifiable") throw Errors.forbidden("None of the room's join conditions can be verified here; you need an invite");
      const via = chooseAuthorisingUser(ctx, state);
      if (via === undefined) throw Errors.forbidden("No user of this server is able to authorise your join");
      content[AUTHORISING_USER] = via;
    }
    const sent = await actor.sendNow({ type: MEMBER, stateKey: userId, sender: userId, content: { ...content, membership: "join" } });
    return { roomId, eventId: sent.eventId };
  });
}

// ---- knock ---------------------------------------------------------------------------------

export async function knockRoom(app: App, userId: string, roomId: string, via: readonly string[], reason: string | undefined): Promise<MembershipOutcome> {
  if (!weAreInRoom(app, roomId)) {
    const servers = candidates(app, roomId, via, []);
    const r = await knockRemoteRoom(app, { roomId, userId, servers, ...(reason !== undefined ? { reason } : {}) });
    return { roomId, eventId: r.eventId };
  }
  const content: JsonObject = { ...profileFields(app, userId), membership: "knock" };
  if (reason !== undefined) content.reason = reason;
  const sent = await app.rooms.send(roomId, { type: MEMBER, stateKey: userId, sender: userId, content });
  return { roomId, eventId: sent.eventId };
}

// ---- leave ---------------------------------------------------------------------------------

export async function leaveRoom(app: App, userId: string, roomId: string, extra: JsonObject = {}): Promise<MembershipOutcome> {
  const content: JsonObject = { ...withoutMembership(extra), membership: "leave" };
  if (weAreInRoom(app, roomId)) {
    const room = app.storage.rooms.getRoom(roomId)!;
    const m = app.storage.rooms.membership(room.roomNid, userId);
    // Nothing to leave: a second /leave is answered like the first.
    if (m === undefined || m.membership === "leave") return { roomId, eventId: m ? app.storage.events.eventIdOf(m.nid) : undefined };
    const sent = await app.rooms.send(roomId, { type: MEMBER, stateKey: userId, sender: userId, content });
    return { roomId, eventId: sent.eventId };
  }
  const store = membershipStore(app.storage);
  const invite = store.invite(userId, roomId);
  const knock = store.knock(userId, roomId);
  if (!invite && !knock) {
    const room = app.storage.rooms.getRoom(roomId);
    const m = room ? app.storage.rooms.membership(room.roomNid, userId) : undefined;
    if (m) return { roomId, eventId: app.storage.events.eventIdOf(m.nid) };
    throw Errors.notFound("You are not invited to, joined to or knocking on this room");
  }
  try {
    const r = await leaveRemoteRoom(app, { roomId, userId, servers: candidates(app, roomId, [], [invite, knock]), content: withoutMembership(extra) });
    return { roomId, eventId: r.eventId };
  } catch (err) {
    log.info({ room_id: roomId, user_id: userId, err: String(err) }, "remote leave failed; dropping the pending invite/knock locally");
    // The user's clients learn of it from a leave event of our own (leave.ts `outOfBandLeave`).
    const leave = await outOfBandLeave(app, (invite ?? knock)!, withoutMembership(extra));
    await store.removePending(userId, roomId, leave);
    return { roomId, eventId: leave.eventId };
  }
}

// ---- invite, kick, ban, unban ------------------------------------------------------------------

/** The room must be one we are in: only members can invite, kick, ban (inviting.yaml, kicking.yaml, banning.yaml). */
function requireResidentRoom(app: App, roomId: string): number {
  const room = app.storage.rooms.getRoom(roomId);
  if (!room || !weAreInRoom(app, roomId)) throw Errors.forbidden("You are not in this room");
  return room.roomNid;
}

export async function inviteUser(app: App, sender: string, roomId: string, invitee: string, extra: JsonObject = {}): Promise<MembershipOutcome> {
  const roomNid = requireResidentRoom(app, roomId);
  const current = app.storage.rooms.membership(roomNid, invitee);
  if (current?.membership === "invite") return { roomId, eventId: app.storage.events.eventIdOf(current.nid) };
  const content: JsonObject = { ...withoutMembership(extra), membership: "invite" };
  if (domainOf(invitee) !== app.serverName) {
    const r = await inviteRemoteUser(app, { roomId, sender, invitee, content: withoutMembership(extra) });
    return { roomId, eventId: r.eventId };
  }
  if (invitePermissions(app.storage).isBlocked(invitee)) throw Errors.inviteBlocked();
  const sent = await app.rooms.send(roomId, { type: MEMBER, stateKey: invitee, sender, content });
  return { roomId, eventId: sent.eventId };
}

const IN_ROOM = new Set(["join", "invite", "knock"]);

export async function kickUser(app: App, sender: string, roomId: string, target: string, extra: JsonObject = {}): Promise<MembershipOutcome> {
  const roomNid = requireResidentRoom(app, roomId);
  const m = app.storage.rooms.membership(roomNid, target)?.membership;
  if (m === undefined || !IN_ROOM.has(m)) throw Errors.forbidden(`${target} is not in the room`);
  return sendMember(app, sender, roomId, target, { ...withoutMembership(extra), membership: "leave" });
}

export async function banUser(app: App, sender: string, roomId: string, target: string, extra: JsonObject = {}): Promise<MembershipOutcome> {
  requireResidentRoom(app, roomId);
  return sendMember(app, sender, roomId, target, { ...withoutMembership(extra), membership: "ban" });
}

export async function unbanUser(app: App, sender: string, roomId: string, target: string, extra: JsonObject = {}): Promise<MembershipOutcome> {
  const roomNid = requireResidentRoom(app, roomId);
  if (app.storage.rooms.membership(roomNid, target)?.membership !== "ban") throw Errors.forbidden(`${target} is not banned`);
  return sendMember(app, sender, roomId, target, { ...withoutMembership(extra), membership: "leave" });
}

async function sendMember(app: App, sender: string, roomId: string, target: string, content: JsonObject): Promise<MembershipOutcome> {
  const sent = await app.rooms.send(roomId, { type: MEMBER, stateKey: target, sender, content });
  return { roomId, eventId: sent.eventId };
}

/**
 * `PUT /rooms/{roomId}/state/m.room.member/{stateKey}`: the same membership operations, with
 * the body as the member content. Transitions that need a handshake or our checks (own join,
 * knock, leave; invites) go through the functions above; the rest (kicks, bans, unbans,
 * profile-only changes) are ordinary events checked by the auth rules.
 */
export async function setMemberState(app: App, sender: string, roomId: string, target: string, content: JsonObject): Promise<MembershipOutcome> {
  const membership = content["membership"];
  if (typeof membership !== "string") throw Errors.badJson("m.room.member content needs a membership");
  const self = target === sender;
  if (self && membership === "join") {
    const current = app.storage.rooms.getRoom(roomId);
    const m = current ? app.storage.rooms.membership(current.roomNid, sender)?.membership : undefined;
    // An already-joined user updating their member event (profile): an ordinary event.
    if (m !== "join") return joinRoom(app, sender, roomId, [], content);
  } else if (self && membership === "knock") {
    const reason = typeof content["reason"] === "string" ? content["reason"] : undefined;
    return knockRoom(app, sender, roomId, [], reason);
  } else if (self && membership === "leave" && !weAreInRoom(app, roomId)) {
    return leaveRoom(app, sender, roomId, content);
  } else if (membership === "invite") {
    return inviteUser(app, sender, roomId, target, content);
  }
  requireResidentRoom(app, roomId);
  return sendMember(app, sender, roomId, target, content);
}
