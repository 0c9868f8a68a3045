/**
 * The checks every federation read endpoint makes before it reads a room, in order:
 *
 *   1. the room is known here with its state (else 404 M_NOT_FOUND);
 *   2. the room's server ACL allows the requesting server (else 403 M_FORBIDDEN;
 *      server-server-api.md "Server Access Control Lists (ACLs)": MUST);
 *   3. the requesting server is in the room now, i.e. has a joined user (else 403
 *      M_FORBIDDEN; events.yaml `/state_ids` 403 "The requesting host is not in the room",
 *      applied to every read as Synapse does).
 *
 * Then, per event, `pduJsonForServer` serves the stored PDU when the server may see it and its
 * redacted form when it may not (src/rooms/visibility/server-visibility.ts).
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { redact } from "../../events/redaction.js";
import type { RoomVersion } from "../../events/room-versions.js";
import { ServerVisibility } from "../../rooms/visibility/server-visibility.js";
import type { EventRecord } from "../../storage/events.js";
import type { RoomRecord } from "../../storage/rooms.js";
import { assertServerAllowed } from "../acl.js";

export interface ServerRoomAccess {
  readonly room: RoomRecord;
  readonly version: RoomVersion;
  readonly visibility: ServerVisibility;
}

export function requireRoomForServer(app: App, roomId: string, origin: string): ServerRoomAccess {
  const room = app.storage.rooms.getRoom(roomId);
  if (room === undefined || room.createEventId === null) throw Errors.notFound(`Unknown room ${roomId}`);
  assertServerAllowed(app.storage, roomId, origin);
  const visibility = new ServerVisibility(app.rooms, room.roomNid, origin);
  if (!visibility.inRoomNow) throw Errors.forbidden("Host not in room");
  return { room, version: app.rooms.loader.roomVersion(room.roomNid), visibility };
}

/** A held event of the room (404 M_NOT_FOUND otherwise, also for an event of another room). */
export function requireEventInRoom(app: App, access: ServerRoomAccess, eventId: string): EventRecord {
  const rec = app.storage.events.getEvent(eventId);
  if (rec === undefined || rec.roomNid !== access.room.roomNid) throw Errors.notFound(`Could not find event ${eventId}`);
  return rec;
}

/** The event as this server may see it: the stored PDU, or its redacted form. */
export function pduJsonForServer(access: ServerRoomAccess, rec: EventRecord): string {
  if (access.visibility.maySee(rec)) return rec.pduJson;
  return JSON.stringify(redact(rec.pdu, access.version));
}
