/**
 * Stripped state as clients get it (client-server-api "Stripped state"; sync.yaml
 * `invite_state`, `knock_state`): the pruned room state held with a pending invite or knock
 * (src/rooms/membership/membership-store.ts; it is pruned to `{type, state_key, sender,
 * content}` before it is stored, as 1.16 requires), followed by the user's own invite/knock
 * member event in the same stripped form, which clients read to tell who invited them.
 */
import type { PendingMembership } from "../../rooms/membership/membership-store.js";
import { toStrippedState, type StrippedStateEvent } from "../../rooms/membership/stripped-state.js";

export function strippedStateForClient(pending: PendingMembership): StrippedStateEvent[] {
  const own = toStrippedState(pending.event);
  const out = pending.strippedState.filter((s) => !(s.type === own.type && s.state_key === own.state_key));
  out.push(own);
  return out;
}
