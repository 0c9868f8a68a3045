/**
 * Receipt check 4: the event against its own `auth_events` (server-server-api.md "Checks
 * performed on receipt of a PDU"). The auth events must be held here; the federation ingress
 * fetches missing ones (/event_auth) before the event reaches the actor, so an auth event still
 * missing now means the event cannot be checked and is not stored.
 */
import type { RoomEvent } from "../../events/types.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import { checkAgainstAuthEvents } from "../auth/check-auth-events.js";
import type { AuthResult } from "../auth/types.js";
import type { RoomContext } from "../room-context.js";
import { createEventOf } from "./room-create.js";

export type AuthEventsCheck = { kind: "checked"; result: AuthResult } | { kind: "missing"; missing: string[] };

/**
 * `create`: the room's create event for v12 rooms (callers checking a batch look it up once);
 * looked up here when not given.
 */
export function checkAuthEvents(ctx: RoomContext, ev: RoomEvent, w: WriteBatch, create?: RoomEvent): AuthEventsCheck {
  const authEvents: { event: RoomEvent; rejected: boolean }[] = [];
  const missing: string[] = [];
  for (const id of ev.authEvents) {
    const nid = ctx.storage.events.nidOf(id, w);
    const status = nid === undefined ? undefined : ctx.loader.statusOf(nid, w);
    const event = status === undefined ? undefined : ctx.loader.byNid(nid!, w);
    if (!event) missing.push(id);
    else authEvents.push({ event, rejected: status === "rejected" });
  }
  if (missing.length > 0) return { kind: "missing", missing };
  const createEvent = ctx.version.roomIdFromCreateEvent ? (create ?? createEventOf(ctx, w)) : undefined;
  return { kind: "checked", result: checkAgainstAuthEvents(ev, authEvents, ctx.version, createEvent) };
}
