/**
 * Reading single events and membership lists (rooms.yaml, list_joined_rooms.yaml):
 *
 * - `GET /rooms/{roomId}/event/{eventId}`: the event, if it is in this room and the user "has
 *   permission to retrieve" it (history visibility, src/rooms/visibility); else 404
 *   M_NOT_FOUND, which does not tell "no such event" from "not yours to see".
 * - `GET /rooms/{roomId}/members?at&membership&not_membership`: member events of the state the
 *   user may see (access.ts), or of the state at the `at` token (a /sync `prev_batch` or one of
 *   our pagination tokens; never past a former member's leave). `membership`/`not_membership` "create an 'or' condition" when both are given.
 * - `GET /rooms/{roomId}/joined_members`: joined users with `display_name` and `avatar_url`
 *   from their member events; for members of the room (or a world-readable room).
 * - `GET /joined_rooms`: the rooms where the user's membership is `join`.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import type { HttpRequest, JsonResponse } from "../../http/request.js";
import { json } from "../../http/request.js";
import { MEMBER } from "../../rooms/auth/types.js";
import { userMaySeeEvent } from "../../rooms/visibility/user-visibility.js";
import type { EventRecord } from "../../storage/events.js";
import { requireClient } from "../auth/authenticator.js";
import { ClientEventFormatter } from "../format/client-event.js";
import { comparePositions, minPosition, parsePaginationToken, type Position } from "../format/tokens.js";
import { requireJoinedOrWorldReadable, roomReadAccess, stateEntriesAt, type RoomReadAccess } from "./access.js";
import { forgottenRoomsOf } from "./forgotten.js";
import { eventIdParam, roomIdParam } from "./params.js";
import { endOfTimeline, resolveToken } from "./timeline-page.js";

const MEMBERSHIPS = new Set(["join", "invite", "knock", "leave", "ban"]);

export function getEventHandler(app: App) {
  return (req: HttpRequest): JsonResponse => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const eventId = eventIdParam(req.params.eventId);
    const room = app.storage.rooms.getRoom(roomId);
    const rec = app.storage.events.getEvent(eventId);
    const notFound = () => Errors.notFound("Event not found.");
    if (!room || !rec || rec.roomNid !== room.roomNid) throw notFound();
    const m = app.storage.rooms.membership(room.roomNid, auth.userId)?.membership;
    if (m !== "join" && forgottenRoomsOf(app).isForgotten(auth.userId, roomId)) throw notFound();
    if (!userMaySeeEvent(app.rooms, auth.userId, rec)) throw notFound();
    return json(new ClientEventFormatter(app, { viewer: { userId: auth.userId, deviceId: auth.deviceId } }).format(rec));
  };
}

export function membersHandler(app: App) {
  return (req: HttpRequest): JsonResponse => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const membership = membershipParam(req.query, "membership");
    const notMembership = membershipParam(req.query, "not_membership");
    const at = req.query.get("at");
    const access = roomReadAccess(app, auth.userId, roomId);
    const view = at ? accessAt(app, access, resolveToken(app, access.room.roomNid, parsePaginationToken(at, "at"))) : access;

    const keep = (m: unknown): boolean => {
      if (membership === undefined && notMembership === undefined) return true;
      return (membership !== undefined && m === membership) || (notMembership !== undefined && m !== notMembership);
    };
    const records = stateEntriesAt(app, view, MEMBER)
      .map((e) => app.storage.events.getEventByNid(e.nid))
      .filter((r): r is EventRecord => r !== undefined && keep(r.pdu.content["membership"]));
    const format = new ClientEventFormatter(app, { viewer: { userId: auth.userId, deviceId: auth.deviceId } });
    return json({ chunk: format.formatMany(records) });
  };
}

/** The room state as of a timeline position (the newest event at or before it), never past a leave. */
function accessAt(app: App, access: RoomReadAccess, pos: Position): RoomReadAccess {
  const roomNid = access.room.roomNid;
  const cap = !access.current && access.leftAt !== undefined ? minPosition(pos, access.leftAt) : pos;
  const newest = endOfTimeline(app, roomNid);
  if (access.current && comparePositions(newest, cap) <= 0) return access;
  const [row] = app.storage.rooms.topological(roomNid, { from: [cap.depth, cap.stream + 1], dir: "b", limit: 1 });
  const rec = row ? app.storage.events.getEventByNid(row.nid) : undefined;
  if (!rec || rec.stateAfter === null) return access;
  return { ...access, current: false, stateRoot: rec.stateAfter };
}

function membershipParam(query: URLSearchParams, name: string): string | undefined {
  const v = query.get(name);
  if (v === null || v === "") return undefined;
  if (!MEMBERSHIPS.has(v)) throw Errors.invalidParam(`${name} must be one of join, invite, knock, leave, ban`);
  return v;
}

export function joinedMembersHandler(app: App) {
  return (req: HttpRequest): JsonResponse => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const room = requireJoinedOrWorldReadable(app, auth.userId, roomId);
    const joined: Record<string, JsonObject> = {};
    for (const m of app.storage.rooms.members(room.roomNid, "join")) {
      const content = app.rooms.loader.byNid(m.nid)?.content ?? {};
      const member: JsonObject = {};
      if (typeof content["displayname"] === "string") member.display_name = content["displayname"];
      if (typeof content["avatar_url"] === "string") member.avatar_url = content["avatar_url"];
      joined[m.userId] = member;
    }
    return json({ joined });
  };
}

export function joinedRoomsHandler(app: App) {
  return (req: HttpRequest): JsonResponse => {
    const auth = requireClient(req);
    const joined: string[] = [];
    for (const r of app.storage.rooms.roomsOfUser(auth.userId, "join")) {
      const room = app.storage.rooms.getRoomByNid(r.roomNid);
      if (room) joined.push(room.roomId);
    }
    return json({ joined_rooms: joined });
  };
}
