/**
 * Auth rules for `m.room.member` (v1.md rule 5, v3.md rule 5, v6–v11 rule 4, v12 rule 5).
 * Numbering below follows v8+ ("4.x"); comments name the rule by its text because the
 * number shifts between versions.
 *
 * `sender` power level, the invite/kick/ban levels and memberships are read from `state`.
 */
import type { RoomVersion } from "../../events/room-versions.js";
import type { RoomEvent } from "../../events/types.js";
import { allowsKnock, currentJoinRule, isInviteOnlyRule, isRestrictedRule } from "./join-rules.js";
import { namedLevel, userPowerLevel } from "./power-levels.js";
import { checkAuthorisingSignature, checkAuthorisingUser } from "./restricted-join.js";
import { primaryCreator } from "./room-creators.js";
import { checkThirdPartyInvite } from "./third-party-invite.js";
import { ALLOW, type AuthResult, type AuthStateLookup, deny, hasOwn, membershipOf } from "./types.js";

export function checkMemberEvent(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion, create: RoomEvent): AuthResult {
  // "If there is no state_key property, or no membership property in content, reject."
  if (ev.stateKey === undefined || !hasOwn(ev.content, "membership")) {
    return deny("m.room.member: no state_key or no content.membership");
  }
  // v8+: "If content has a join_authorised_via_users_server property: if the event is not
  // validly signed by the homeserver of the user ID denoted by the key, reject."
  const signed = checkAuthorisingSignature(ev, version);
  if (!signed.allowed) return signed;

  const membership = ev.content["membership"];
  switch (membership) {
    case "join":
      return checkJoin(ev, state, version, create);
    case "invite":
      return checkInvite(ev, state, version);
    case "leave":
      return checkLeave(ev, state, version);
    case "ban":
      return checkBan(ev, state, version);
    case "knock":
      if (version.knocking) return checkKnock(ev, state, version);
      break;
  }
  return deny("m.room.member: unknown membership");
}

function checkJoin(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion, create: RoomEvent): AuthResult {
  // "If the only previous event is an m.room.create and the state_key is the creator, allow."
  // (v11+: "the sender of the m.room.create".)
  if (ev.prevEvents.length === 1 && ev.prevEvents[0] === create.eventId && ev.stateKey === primaryCreator(create, version)) {
    return ALLOW;
  }
  if (ev.sender !== ev.stateKey) return deny("m.room.member join: sender does not match state_key");
  const current = membershipOf(state, ev.sender);
  if (current === "ban") return deny("m.room.member join: sender is banned");

  const rule = currentJoinRule(state);
  if (isInviteOnlyRule(rule, version)) {
    if (current === "invite" || current === "join") return ALLOW;
    return deny("m.room.member join: invite-only room and sender is not invited or joined");
  }
  if (isRestrictedRule(rule, version)) {
    if (current === "invite" || current === "join") return ALLOW;
    return checkAuthorisingUser(ev, state, version);
  }
  if (rule === "public") return ALLOW;
  return deny("m.room.member join: join rule does not allow joining");
}

function checkInvite(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion): AuthResult {
  if (hasOwn(ev.content, "third_party_invite")) return checkThirdPartyInvite(ev, state, version);
  if (membershipOf(state, ev.sender) !== "join") return deny("m.room.member invite: sender is not joined");
  const target = membershipOf(state, ev.stateKey!);
  if (target === "join" || target === "ban") return deny("m.room.member invite: target user is joined or banned");
  if (userPowerLevel(ev.sender, state, version) >= namedLevel("invite", state, version)) return ALLOW;
  return deny("m.room.member invite: sender power level is below the invite level");
}

function checkLeave(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion): AuthResult {
  const target = ev.stateKey!;
  if (ev.sender === target) {
    // Leaving, rejecting an invite, or (v7+) retracting a knock.
    const current = membershipOf(state, target);
    if (current === "invite" || current === "join" || (version.knocking && current === "knock")) return ALLOW;
    return deny("m.room.member leave: sender is not invited or joined" + (version.knocking ? " or knocking" : ""));
  }
  if (membershipOf(state, ev.sender) !== "join") return deny("m.room.member leave: sender is not joined");
  const senderLevel = userPowerLevel(ev.sender, state, version);
  if (membershipOf(state, target) === "ban" && senderLevel < namedLevel("ban", state, version)) {
    return deny("m.room.member leave: target is banned and sender power level is below the ban level");
  }
  if (senderLevel >= namedLevel("kick", state, version) && userPowerLevel(target, state, version) < senderLevel) {
    return ALLOW;
  }
  return deny("m.room.member leave: sender power level is below the kick level or not above the target's");
}

function checkBan(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion): AuthResult {
  if (membershipOf(state, ev.sender) !== "join") return deny("m.room.member ban: sender is not joined");
  const senderLevel = userPowerLevel(ev.sender, state, version);
  if (senderLevel >= namedLevel("ban", state, version) && userPowerLevel(ev.stateKey!, state, version) < senderLevel) {
    return ALLOW;
  }
  return deny("m.room.member ban: sender power level is below the ban level or not above the target's");
}

function checkKnock(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion): AuthResult {
  if (!allowsKnock(currentJoinRule(state), version)) return deny("m.room.member knock: join rule does not allow knocking");
  if (ev.sender !== ev.stateKey) return deny("m.room.member knock: sender does not match state_key");
  const current = membershipOf(state, ev.sender);
  if (current !== "ban" && current !== "invite" && current !== "join") return ALLOW;
  return deny("m.room.member knock: sender is banned, invited or joined");
}
