/**
 * Which stored events the DAG walks of `/backfill` and `/get_missing_events` pass through and
 * return: events of the room that have a place in the DAG (not outliers, whose position and
 * state we do not know) and were not rejected (never a prev event of ours, and the requester
 * would reject them too; it can still fetch one with `/event`). Soft-failed events are
 * included: they are only reached when an event we walk lists them in its prev_events.
 */
import type { EventRecord } from "../../storage/events.js";
import type { Storage } from "../../storage/storage.js";

export function walkableRecord(storage: Storage, roomNid: number, eventId: string): EventRecord | undefined {
  const rec = storage.events.getEvent(eventId);
  if (rec === undefined || rec.roomNid !== roomNid) return undefined;
  return rec.status === "accepted" || rec.status === "soft_failed" ? rec : undefined;
}

/** Deeper first; among equal depths, later persisted first (a stable total order). */
export function deeperFirst(a: EventRecord, b: EventRecord): number {
  return b.depth - a.depth || b.authOrder - a.authOrder;
}
