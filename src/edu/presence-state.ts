/** The presence values the m.presence schemas allow (federation EDU and client event alike). */
export type PresenceState = "online" | "unavailable" | "offline";

const STATES: ReadonlySet<string> = new Set(["online", "unavailable", "offline"]);

export function isPresenceState(v: unknown): v is PresenceState {
  return typeof v === "string" && STATES.has(v);
}
