/**
 * `m.room.aliases`, room versions 1–5 (rooms/v1.md and fragments/v3-auth-rules.md rule 4;
 * removed in v6, after which the event is an ordinary state event).
 *
 * It comes before the "sender must be joined" rule: a server may publish its aliases for a
 * room none of its users are in, as long as the state_key is its own domain.
 */
import { domainOf } from "../../events/ids.js";
import type { RoomEvent } from "../../events/types.js";
import { ALLOW, type AuthResult, deny } from "./types.js";

export function checkAliasesEvent(ev: RoomEvent): AuthResult {
  if (ev.stateKey === undefined) return deny("m.room.aliases: no state_key");
  if (domainOf(ev.sender) !== ev.stateKey) return deny("m.room.aliases: sender domain does not match state_key");
  return ALLOW;
}
