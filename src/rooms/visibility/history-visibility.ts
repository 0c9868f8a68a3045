/**
 * `m.room.history_visibility` as the visibility rules read it (client-server-api
 * modules/history_visibility.md "Server behaviour"): "By default if no history_visibility is
 * set, or if the value is not understood, the visibility is assumed to be `shared`."
 */
import type { JsonObject } from "../../events/types.js";
import type { AuthStateLookup } from "../auth/types.js";

export const HISTORY_VISIBILITY = "m.room.history_visibility";

export type HistoryVisibility = "world_readable" | "shared" | "invited" | "joined";

const KNOWN: ReadonlySet<string> = new Set<HistoryVisibility>(["world_readable", "shared", "invited", "joined"]);

/** The effective setting of a history_visibility event's content (`shared` when unusable). */
export function historyVisibilityOf(content: JsonObject | undefined): HistoryVisibility {
  const v = content?.history_visibility;
  return typeof v === "string" && KNOWN.has(v) ? (v as HistoryVisibility) : "shared";
}

/** The effective setting in a state. */
export function historyVisibilityIn(state: AuthStateLookup): HistoryVisibility {
  return historyVisibilityOf(state.get(HISTORY_VISIBILITY, "")?.content);
}
