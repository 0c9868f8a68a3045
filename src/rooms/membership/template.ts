/**
 * The event templates of make_join / make_leave / make_knock (joins-v1.yaml, leaving-v1.yaml,
 * knocks.yaml): an `m.room.member` event for `userId` built exactly like one of our own events
 * — prev_events from the current forward extremities, depth, auth events selected from the
 * current state (src/rooms/local/build-event.ts) — plus `origin` ("The name of the resident
 * homeserver"). No hashes, no signatures: the joining server sets `origin`,
 * `origin_server_ts` and (v1/v2) `event_id`, then signs. Templates are not stored.
 *
 * Before answering we run the auth rules on the template against the current state, so a user
 * who may not join / leave / knock gets 403 now rather than at send_*.
 */
import { Errors } from "../../errors.js";
import { toRoomEvent } from "../../events/event.js";
import { domainOf } from "../../events/ids.js";
import type { JsonObject, Pdu } from "../../events/types.js";
import { checkAuthRules } from "../auth/check-auth.js";
import { AUTHORISING_USER } from "../auth/restricted-join.js";
import { type AuthResult, type AuthStateLookup, MEMBER } from "../auth/types.js";
import { buildEventTemplate, type RoomHeadsView } from "../local/build-event.js";
import type { RoomContext } from "../room-context.js";
import { StateView } from "../state-view.js";

export type TemplateMembership = "join" | "leave" | "knock";

export interface MembershipTemplateSpec {
  readonly userId: string;
  readonly membership: TemplateMembership;
  /** Restricted joins: our user who vouches (`join_authorised_via_users_server`). */
  readonly authorisedVia?: string;
}

/** The template, checked against the auth rules at `heads` (throws 403 M_FORBIDDEN). */
export function buildMembershipTemplate(ctx: RoomContext, spec: MembershipTemplateSpec, heads: RoomHeadsView): JsonObject {
  const content: JsonObject = { membership: spec.membership };
  if (spec.authorisedVia !== undefined) content[AUTHORISING_USER] = spec.authorisedVia;
  const template = buildEventTemplate(ctx, { type: MEMBER, stateKey: spec.userId, sender: spec.userId, content }, heads);
  template.origin = ctx.serverName;

  // The rules also demand a signature from the authorising server (member rule 2, structural
  // half); we add ours at send_join, so the draft carries a placeholder for it.
  const signers = spec.authorisedVia !== undefined ? [domainOf(spec.authorisedVia)!] : [];
  const verdict = checkTemplate(ctx, template, new StateView(ctx.storage, ctx.loader, heads.stateRoot), signers);
  if (!verdict.allowed) throw Errors.forbidden(`You may not ${spec.membership === "knock" ? "knock on" : spec.membership} this room: ${verdict.reason}`);
  return template;
}

/**
 * The auth rules for an unsigned template against `state`. `signers` get a placeholder
 * signature, for rules that only look at who signed (member rule 2).
 */
export function checkTemplate(ctx: RoomContext, template: JsonObject, state: AuthStateLookup, signers: readonly string[] = []): AuthResult {
  const signatures: JsonObject = {};
  for (const server of signers) signatures[server] = { "ed25519:template": "" };
  const draft = toRoomEvent({ ...template, hashes: { sha256: "" }, signatures } as unknown as Pdu, ctx.version, "$template", ctx.roomId);
  return checkAuthRules(draft, state, ctx.version);
}
