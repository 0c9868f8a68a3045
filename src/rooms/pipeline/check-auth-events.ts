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

export function checkAuthEvents(ctx: RoomContext, ev: RoomEvent, w: WriteBatch): AuthEventsCheck {
  const authEvents: { event: RoomEvent; rejected: boolean }[] = [];
  const missing: string[] = [];
  for (const id of ev.authEvents) {
    const rec = ctx.loader.record(id, w);
    const event = rec ? ctx.loader.byNid(rec.nid, w) : undefined;
    if (!rec || !event) missing.push(id);
    else authEvents.push({ event, rejected: rec.status === "rejected" });
  }
  if (missing.length > 0) return { kind: "missing", missing };
  const create = ctx.version.roomIdFromCreateEvent ? createEventOf(ctx, w) : undefined;
  return { kind: "checked", result: checkAgainstAuthEvents(ev, authEvents, ctx.version, create) };
}
