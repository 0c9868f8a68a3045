/**
 * m.presence (server-server-api.md "Presence"): `push` lists updates for users of the sending
 * server. Updates for users we share no room with are dropped: servers "should only send
 * presence updates for users that the receiving server would be interested in", and storing
 * the rest would let any server fill our tables.
 */
import type { PresenceUpdate } from "../presence.js";
import { isPresenceState } from "../presence-state.js";
import { isOriginUser, sharesARoom, type EduHandler } from "./context.js";
import { isJsonObject } from "../../json.js";

export const handlePresence: EduHandler = (ctx, content) => {
  if (!Array.isArray(content.push)) return undefined;
  const updates: PresenceUpdate[] = [];
  for (const p of content.push) {
    if (!isJsonObject(p) || !isOriginUser(ctx, p.user_id) || !isPresenceState(p.presence)) continue;
    const ago = p.last_active_ago;
    if (!Number.isSafeInteger(ago) || (ago as number) < 0) continue;
    if (p.status_msg !== undefined && p.status_msg !== null && typeof p.status_msg !== "string") continue;
    if (p.currently_active !== undefined && typeof p.currently_active !== "boolean") continue;
    if (!sharesARoom(ctx.storage, p.user_id)) continue;
    updates.push({
      userId: p.user_id,
      presence: p.presence,
      lastActiveAgo: ago as number,
      statusMsg: typeof p.status_msg === "string" ? p.status_msg : undefined,
      currentlyActive: p.currently_active === true,
    });
  }
  return updates.length > 0 ? ctx.edu.presence.put(updates) : undefined;
};
