/**
 * Receipt check 4 (server-server-api.md "Checks performed on receipt of a PDU"): does the
 * event pass the authorisation rules based on its own auth_events?
 *
 * First the rules about the auth_events list itself (v1–v11 rule 2, v12 rules 2 and 3):
 *  - v12: the room_id must be the ID of an accepted `m.room.create` event with `!` for `$`;
 *  - no two entries for one (type, state_key);
 *  - no entry the auth events selection would not pick (v12: the create event is one such);
 *  - no entry that was itself rejected;
 *  - v1–v11: an `m.room.create` among the entries;
 *  - every entry in the same room as the event (all versions; MSC4307, Matrix 1.16).
 * Then the rest of the rules (check-auth.ts), with the auth events as the state.
 *
 * Caller's duties:
 *  - resolve every ID in `ev.authEvents` to `authEvents` (with its rejected flag); an ID that
 *    cannot be resolved, even after fetching it, means the event cannot be authorised here and
 *    is handled before calling (this function denies if one is missing from the list);
 *  - for v12, pass `createEvent`: the create event fetched by the room ID, and only if it was
 *    accepted (a rejected create names no room).
 * Entries of `authEvents` not referenced by `ev.authEvents` are ignored.
 */
import { roomIdOfCreateEvent } from "../../events/ids.js";
import type { RoomVersion } from "../../events/room-versions.js";
import { stateKey, type RoomEvent } from "../../events/types.js";
import { authEventTypes } from "./auth-events-selection.js";
import { checkAuthRules } from "./check-auth.js";
import { type AuthResult, CREATE, deny, stateFromEvents } from "./types.js";

export function checkAgainstAuthEvents(
  ev: RoomEvent,
  authEvents: ReadonlyArray<{ event: RoomEvent; rejected: boolean }>,
  version: RoomVersion,
  createEvent?: RoomEvent,
): AuthResult {
  // Rule 1 (the create event) is decided on its own, before any auth_events rule.
  if (ev.type === CREATE) return checkAuthRules(ev, stateFromEvents([]), version);

  if (version.roomIdFromCreateEvent) {
    if (!createEvent || createEvent.type !== CREATE || ev.roomId !== roomIdOfCreateEvent(createEvent.eventId)) {
      return deny("room_id is not the ID of an accepted m.room.create event");
    }
  }

  const byId = new Map(authEvents.map((a) => [a.event.eventId, a]));
  const listed: Array<{ event: RoomEvent; rejected: boolean }> = [];
  for (const id of ev.authEvents) {
    const entry = byId.get(id);
    if (!entry) return deny(`auth_events: ${id} was not resolved`);
    listed.push(entry);
  }

  const seen = new Set<string>();
  for (const { event } of listed) {
    const slot = stateKey(event.type, event.stateKey ?? "");
    if (event.stateKey !== undefined && seen.has(slot)) {
      return deny(`auth_events: duplicate entries for (${event.type}, ${event.stateKey})`);
    }
    seen.add(slot);
  }

  const expected = new Set(authEventTypes(ev, version).map((t) => stateKey(t.type, t.stateKey)));
  for (const { event } of listed) {
    if (event.type === CREATE && !version.createInAuthEvents) {
      return deny("auth_events: m.room.create must not be among the auth events in this room version");
    }
    if (event.stateKey === undefined || !expected.has(stateKey(event.type, event.stateKey))) {
      return deny(`auth_events: ${event.type} entry is not called for by the auth events selection`);
    }
  }

  for (const { event, rejected } of listed) {
    if (rejected) return deny(`auth_events: ${event.eventId} was rejected`);
  }

  if (version.createInAuthEvents && !listed.some(({ event }) => event.type === CREATE)) {
    return deny("auth_events: no m.room.create event among the auth events");
  }

  for (const { event } of listed) {
    if (event.roomId !== ev.roomId) return deny(`auth_events: ${event.eventId} belongs to another room`);
  }

  const stateEvents = listed.map((a) => a.event);
  if (createEvent && version.roomIdFromCreateEvent) stateEvents.push(createEvent);
  return checkAuthRules(ev, stateFromEvents(stateEvents), version);
}
