/**
 * Room state for clients (room_state.yaml, rooms.yaml):
 *
 * - `PUT /rooms/{roomId}/state/{eventType}[/{stateKey}]`: a state event with the body as
 *   content; the state key defaults to "" ("the trailing slash on this endpoint is optional").
 *   No transaction IDs here ("Requests to this endpoint cannot use transaction IDs"), so a
 *   repeat of the current event (same sender, same content) returns the current event's ID
 *   instead of adding an identical one. `m.room.member` goes through the membership operations
 *   (membership-actions.ts: joins, knocks, invites and leaves may need a federation handshake);
 *   `m.room.canonical_alias` aliases are checked (event-checks.ts).
 * - `GET /rooms/{roomId}/state`: every state event, current for members, as of their leave for
 *   former members (access.ts).
 * - `GET /rooms/{roomId}/state/{eventType}[/{stateKey}]`: the content (default) or, with
 *   `format=event` (1.16), the whole client event; 404 M_NOT_FOUND when the slot is empty.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { canonicalJson } from "../../events/canonical-json.js";
import type { JsonObject } from "../../events/types.js";
import type { HttpRequest, JsonResponse } from "../../http/request.js";
import { json } from "../../http/request.js";
import { MEMBER } from "../../rooms/auth/types.js";
import type { EventRecord } from "../../storage/events.js";
import { requireClient } from "../auth/authenticator.js";
import { ClientEventFormatter } from "../format/client-event.js";
import { roomReadAccess, stateEntriesAt, stateNidAt } from "./access.js";
import { checkCanonicalAlias } from "./event-checks.js";
import { setMemberState } from "./membership-actions.js";
import { bodyObject, nonEmptyParam, roomIdParam } from "./params.js";
import { roomContextFor, sendClientEvent } from "./send-event.js";

export function putStateHandler(app: App) {
  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const type = nonEmptyParam(req.params.eventType, "event type");
    const stateKey = req.params.stateKey ?? "";
    const content = { ...bodyObject(req.body) } as JsonObject;

    if (type === MEMBER) {
      const r = await setMemberState(app, auth.userId, roomId, stateKey, content);
      return json(r.eventId !== undefined ? { event_id: r.eventId } : {});
    }
    const ctx = roomContextFor(app, roomId);
    const same = unchangedStateEvent(app, ctx.roomNid, type, stateKey, auth.userId, content);
    if (same !== undefined) return json({ event_id: same });
    if (type === "m.room.canonical_alias") await checkCanonicalAlias(app, ctx, content);
    const eventId = await sendClientEvent(app, roomId, { type, stateKey, sender: auth.userId, content });
    return json({ event_id: eventId });
  };
}

/** The current event at the slot when it has this sender and exactly this content. */
function unchangedStateEvent(app: App, roomNid: number, type: string, stateKey: string, sender: string, content: JsonObject): string | undefined {
  const nid = app.storage.rooms.currentStateNid(roomNid, type, stateKey);
  const rec = nid === undefined ? undefined : app.storage.events.getEventByNid(nid);
  if (!rec || rec.pdu.sender !== sender || rec.redactedBy !== undefined) return undefined;
  return canonicalJson(rec.pdu.content, false) === canonicalJson(content, false) ? rec.eventId : undefined;
}

export function getStateHandler(app: App) {
  return (req: HttpRequest): JsonResponse => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const access = roomReadAccess(app, auth.userId, roomId);
    const records = stateEntriesAt(app, access)
      .map((e) => app.storage.events.getEventByNid(e.nid))
      .filter((r): r is EventRecord => r !== undefined);
    const format = new ClientEventFormatter(app, { viewer: { userId: auth.userId, deviceId: auth.deviceId } });
    return json(format.formatMany(records));
  };
}

export function getStateEventHandler(app: App) {
  return (req: HttpRequest): JsonResponse => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const type = nonEmptyParam(req.params.eventType, "event type");
    const stateKey = req.params.stateKey ?? "";
    const format = req.query.get("format") ?? "content";
    if (format !== "content" && format !== "event") throw Errors.invalidParam("format must be 'content' or 'event'");
    const access = roomReadAccess(app, auth.userId, roomId);
    const nid = stateNidAt(app, access, type, stateKey);
    const rec = nid === undefined ? undefined : app.storage.events.getEventByNid(nid);
    if (!rec) throw Errors.notFound(`Event not found.`);
    if (format === "content") return json(rec.pdu.content);
    return json(new ClientEventFormatter(app, { viewer: { userId: auth.userId, deviceId: auth.deviceId } }).format(rec));
  };
}
