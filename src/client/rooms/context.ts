/**
 * `GET /rooms/{roomId}/context/{eventId}` (event_context.yaml, modules/event_context.md): the
 * event, up to `limit` (default 10, the sum of both sides: half before, the rest after) events
 * around it that the user may see, the state "at the last event returned", and tokens to
 * paginate on with /messages from either end.
 *
 * - The event must be in the room, in its timeline, and visible to the user: else 404.
 * - The `filter` applies to `events_before`, `events_after` and `state`, not to `event`.
 * - `state` with `lazy_load_members`: the room's non-member state plus the member events of the
 *   returned events' senders; without it, the whole state.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { splitStateKey } from "../../events/types.js";
import type { HttpRequest, JsonResponse } from "../../http/request.js";
import { json } from "../../http/request.js";
import { MEMBER } from "../../rooms/auth/types.js";
import { UserVisibility } from "../../rooms/visibility/user-visibility.js";
import type { EventRecord } from "../../storage/events.js";
import { requireClient } from "../auth/authenticator.js";
import { ClientEventFormatter } from "../format/client-event.js";
import { memberEventsForSenders } from "../format/lazy-members.js";
import { matchesRoomEventFilter, parseRoomEventFilterParam } from "../format/room-event-filter.js";
import { before as pointBefore, positionToken } from "../format/tokens.js";
import { roomReadAccess } from "./access.js";
import { eventIdParam, intParam, roomIdParam } from "./params.js";
import { positionOf, readPage } from "./timeline-page.js";

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;

export function contextHandler(app: App) {
  return (req: HttpRequest): JsonResponse => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const eventId = eventIdParam(req.params.eventId);
    const limit = intParam(req.query, "limit", DEFAULT_LIMIT, MAX_LIMIT);
    const filter = parseRoomEventFilterParam(req.query.get("filter"));

    const access = roomReadAccess(app, auth.userId, roomId);
    const roomNid = access.room.roomNid;
    const rec = app.storage.events.getEvent(eventId);
    const visibility = new UserVisibility(app.rooms, roomNid, auth.userId);
    const at = rec && rec.roomNid === roomNid ? positionOf(rec) : undefined;
    if (!rec || at === undefined || !visibility.maySee(rec)) throw Errors.notFound("Event not found.");
    const passes = (r: EventRecord) => matchesRoomEventFilter(filter, { type: r.pdu.type, sender: r.pdu.sender, roomId, content: r.pdu.content });
    const accept = (r: EventRecord) => visibility.maySee(r) && passes(r);

    const beforeLimit = Math.floor(limit / 2);
    const before = readPage(app, { roomNid, dir: "b", from: pointBefore(at), to: undefined, limit: beforeLimit, accept });
    const after = readPage(app, { roomNid, dir: "f", from: at, to: undefined, limit: limit - beforeLimit, accept });

    const last = after.events[after.events.length - 1] ?? rec;
    const stateRoot = last.stateAfter ?? rec.stateAfter;
    let state: EventRecord[] = [];
    if (stateRoot !== null) {
      const entries = [...app.storage.state.toMap(stateRoot)];
      const nonMembers = entries.filter(([k]) => splitStateKey(k).type !== MEMBER);
      const members = filter.lazyLoadMembers
        ? memberEventsForSenders(app, [rec, ...before.events, ...after.events], stateRoot)
        : entries.filter(([k]) => splitStateKey(k).type === MEMBER).map(([, nid]) => app.storage.events.getEventByNid(nid));
      state = [...nonMembers.map(([, nid]) => app.storage.events.getEventByNid(nid)), ...members].filter(
        (r): r is EventRecord => r !== undefined && passes(r),
      );
    }

    const format = new ClientEventFormatter(app, { viewer: { userId: auth.userId, deviceId: auth.deviceId } });
    return json({
      start: positionToken(before.next ?? pointBefore(at)),
      end: positionToken(after.next ?? at),
      events_before: format.formatMany(before.events),
      event: format.format(rec),
      events_after: format.formatMany(after.events),
      state: format.formatMany(state),
    });
  };
}
