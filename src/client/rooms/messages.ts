/**
 * `GET /rooms/{roomId}/messages` (message_pagination.yaml): history in topological order, pages of
 * `limit` (default 10) events the user may see (src/rooms/visibility), filtered by a
 * `RoomEventFilter`, between `from` and `to` (tokens: src/client/format/tokens.ts).
 *
 * - `start` echoes `from`; without `from`, it is the end (dir=b) or the start (dir=f) of the
 *   room's timeline.
 * - `end` continues the pagination; it "is omitted" when "no further events are available":
 *   the timeline has no more rows that way (after backfill, see below), or `to` was reached.
 * - `state`: with `lazy_load_members`, the senders' member events (lazy-members.ts).
 * - A reader who left sees nothing after their leave (modules/history_visibility.md: "no events
 *   received after they left"): the page is clamped at it.
 * - Reaching the start of our local history going backwards (the oldest event we hold is not
 *   the room's create event) asks the room's servers for older events (src/outbound/backfill.ts)
 *   once per request; a room whose servers had nothing more is not asked again for a while.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import type { HttpRequest, JsonResponse } from "../../http/request.js";
import { json } from "../../http/request.js";
import { logger } from "../../log.js";
import { backfillRoom } from "../../outbound/backfill.js";
import { UserVisibility } from "../../rooms/visibility/user-visibility.js";
import type { EventRecord } from "../../storage/events.js";
import type { Direction } from "../../storage/rooms.js";
import { requireClient } from "../auth/authenticator.js";
import { ClientEventFormatter } from "../format/client-event.js";
import { memberEventsForSenders } from "../format/lazy-members.js";
import { matchesRoomEventFilter, parseRoomEventFilterParam } from "../format/room-event-filter.js";
import { minPosition, parsePaginationToken, positionToken, type Position } from "../format/tokens.js";
import { roomReadAccess } from "./access.js";
import { intParam, roomIdParam } from "./params.js";
import { endOfTimeline, readPage, resolveToken, startOfTimeline, type Page } from "./timeline-page.js";

const log = logger("client.messages");

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1000;
/** After a backfill that found nothing, leave the room's servers alone this long. */
const BACKFILL_QUIET_MS = 60_000;

export function messagesHandler(app: App) {
  const quiet = new Map<string, { earliest: string; until: number }>();

  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const dirParam = req.query.get("dir");
    if (dirParam !== "b" && dirParam !== "f") throw Errors.invalidParam("dir must be 'b' or 'f'");
    const dir: Direction = dirParam;
    const filter = parseRoomEventFilterParam(req.query.get("filter"));
    const limit = req.query.has("limit") ? intParam(req.query, "limit", DEFAULT_LIMIT, MAX_LIMIT) : Math.min(filter.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
    const fromToken = req.query.get("from");
    const toToken = req.query.get("to");
    const fromParsed = fromToken ? parsePaginationToken(fromToken, "from") : undefined;
    const toParsed = toToken ? parsePaginationToken(toToken, "to") : undefined;

    const access = roomReadAccess(app, auth.userId, roomId);
    const roomNid = access.room.roomNid;
    let from: Position | undefined = fromParsed && resolveToken(app, roomNid, fromParsed);
    let to: Position | undefined = toParsed && resolveToken(app, roomNid, toParsed);
    const start = fromToken || positionToken(dir === "b" ? endOfTimeline(app, roomNid) : startOfTimeline(app, roomNid));
    // A former member sees nothing after their leave.
    const leave = access.current ? undefined : access.leftAt;
    if (leave !== undefined) {
      if (dir === "b") from = from === undefined ? leave : minPosition(from, leave);
      else to = to === undefined ? leave : minPosition(to, leave);
    }

    const visibility = new UserVisibility(app.rooms, roomNid, auth.userId);
    const accept = (rec: EventRecord) =>
      visibility.maySee(rec) && matchesRoomEventFilter(filter, { type: rec.pdu.type, sender: rec.pdu.sender, roomId, content: rec.pdu.content });

    let page: Page = readPage(app, { roomNid, dir, from, to, limit, accept });
    if (dir === "b" && page.exhausted && page.events.length < limit && (await backfillAtStart(app, roomId, roomNid, limit, quiet))) {
      const more = readPage(app, { roomNid, dir, from: page.next ?? from, to, limit: limit - page.events.length, accept });
      page = { events: [...page.events, ...more.events], next: more.next ?? page.next, exhausted: more.exhausted, reachedTo: more.reachedTo };
    }

    const format = new ClientEventFormatter(app, { viewer: { userId: auth.userId, deviceId: auth.deviceId } });
    const body: Record<string, unknown> = { start, chunk: format.formatMany(page.events) };
    if (!page.exhausted && !page.reachedTo && page.next !== undefined) body.end = positionToken(page.next);
    if (filter.lazyLoadMembers) body.state = format.formatMany(memberEventsForSenders(app, page.events));
    return json(body);
  };
}

/**
 * Backfill when local history ends before the room's create event. True when new events were
 * stored (the caller reads on).
 */
async function backfillAtStart(app: App, roomId: string, roomNid: number, limit: number, quiet: Map<string, { earliest: string; until: number }>): Promise<boolean> {
  const first = app.storage.rooms.topological(roomNid, { dir: "f", limit: 1 })[0];
  const rec = first ? app.storage.events.getEventByNid(first.nid) : undefined;
  if (!rec || rec.pdu.type === "m.room.create" || rec.pdu.prev_events.length === 0) return false;
  const q = quiet.get(roomId);
  if (q && q.earliest === rec.eventId && q.until > Date.now()) return false;
  try {
    const result = await backfillRoom(app, roomId, [rec.eventId], Math.max(limit, 20));
    if (result.stored.length > 0) {
      quiet.delete(roomId);
      return true;
    }
  } catch (err) {
    log.info({ room_id: roomId, err: String(err) }, "backfill for /messages failed");
  }
  if (quiet.size > 10_000) quiet.clear();
  quiet.set(roomId, { earliest: rec.eventId, until: Date.now() + BACKFILL_QUIET_MS });
  return false;
}
