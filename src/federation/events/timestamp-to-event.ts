/**
 * `GET /_matrix/federation/v1/timestamp_to_event/{roomId}?ts=&dir=` (events.yaml, Matrix 1.6):
 * the event closest to `ts` in direction `dir` (`f`: at or after, `b`: at or before), as
 * `{event_id, origin_server_ts}`; 404 M_NOT_FOUND when there is none. Only timeline events
 * (accepted, not outliers) are candidates. The room checks of room-access.ts apply (the ACL
 * too: a denied server takes no part in the room).
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { json, type FederationAuth, type Handler } from "../../http/request.js";
import { requiredIntParam, requiredParam } from "./query-params.js";
import { requireRoomForServer } from "./room-access.js";
import { timestampIndexFor, type TimestampDirection } from "./timestamp-index.js";

export function getTimestampToEventHandler(app: App): Handler<FederationAuth> {
  return async (req) => {
    const ts = requiredIntParam(req.query, "ts", { min: 0 });
    const dir = requiredParam(req.query, "dir");
    if (dir !== "f" && dir !== "b") throw Errors.invalidParam("Query parameter 'dir' must be 'f' or 'b'");
    const access = requireRoomForServer(app, req.params.roomId!, req.auth.origin);
    const found = await closestEvent(app, access.room.roomNid, ts, dir);
    if (found === undefined) {
      throw Errors.notFound(`Unable to find event from ${ts} in ${dir === "f" ? "forward" : "backward"} direction`);
    }
    return json(found);
  };
}

/** For the client API's /timestamp_to_event too. */
export async function closestEvent(
  app: App,
  roomNid: number,
  ts: number,
  dir: TimestampDirection,
): Promise<{ event_id: string; origin_server_ts: number } | undefined> {
  const nid = await timestampIndexFor(app.storage).closest(roomNid, ts, dir);
  const rec = nid === undefined ? undefined : app.storage.events.getEventByNid(nid);
  if (rec === undefined) return undefined;
  return { event_id: rec.eventId, origin_server_ts: rec.pdu.origin_server_ts };
}
