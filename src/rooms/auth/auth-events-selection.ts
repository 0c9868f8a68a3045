/**
 * server-server-api.md "Auth events selection": which state an event's `auth_events` list.
 *
 * The create event's list is empty. Otherwise:
 * - the `m.room.create` event, in room versions that select it (v1–v11; v12 forbids it, the
 *   room ID standing for it);
 * - the current `m.room.power_levels`;
 * - the sender's `m.room.member`;
 * - for `m.room.member`: the target's `m.room.member`; `m.room.join_rules` when membership
 *   is join, invite or knock; for a third-party invite, the `m.room.third_party_invite` whose
 *   state_key is `content.third_party_invite.signed.token`; and from v8 (restricted joins),
 *   for a join carrying `join_authorised_via_users_server`, that user's `m.room.member`.
 *
 * Each is included "if any": this lists the slots, the caller takes those that exist.
 */
import type { RoomVersion } from "../../events/room-versions.js";
import { stateKey as slotOf, type JsonObject, type StateKeyTuple } from "../../events/types.js";
import { AUTHORISING_USER } from "./restricted-join.js";
import { CREATE, JOIN_RULES, MEMBER, POWER_LEVELS, THIRD_PARTY_INVITE, objectField } from "./types.js";

export function authEventTypes(
  ev: { type: string; stateKey: string | undefined; sender: string; content: JsonObject },
  version: RoomVersion,
): StateKeyTuple[] {
  if (ev.type === CREATE) return [];
  const out: StateKeyTuple[] = [];
  const seen = new Set<string>();
  const add = (type: string, stateKey: string) => {
    const k = slotOf(type, stateKey);
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ type, stateKey });
    }
  };

  if (version.createInAuthEvents) add(CREATE, "");
  add(POWER_LEVELS, "");
  add(MEMBER, ev.sender);

  if (ev.type === MEMBER && ev.stateKey !== undefined) {
    add(MEMBER, ev.stateKey);
    const membership = ev.content["membership"];
    if (membership === "join" || membership === "invite" || membership === "knock") add(JOIN_RULES, "");
    if (membership === "invite") {
      const tpi = objectField(ev.content, "third_party_invite");
      const token = tpi ? objectField(tpi, "signed")?.["token"] : undefined;
      if (typeof token === "string") add(THIRD_PARTY_INVITE, token);
    }
    if (membership === "join" && version.restrictedJoins) {
      const authoriser = ev.content[AUTHORISING_USER];
      if (typeof authoriser === "string") add(MEMBER, authoriser);
    }
  }
  return out;
}
