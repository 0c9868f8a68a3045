/**
 * `PUT /rooms/{roomId}/send/{eventType}/{txnId}` (room_send.yaml): a message event with the
 * body as content, idempotent per (device, path, txnId) (transactions.ts).
 *
 * `m.room.redaction` is accepted here in every room version (1.18: "Homeservers MUST allow
 * clients to send m.room.redaction events with this endpoint"); before v11 the `redacts` given
 * in `content` is moved to the top level ("MUST move"), from v11 it stays in `content`
 * (src/rooms/local/build-event.ts places it per version). The redaction permission rules
 * apply as for /redact.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { isValidEventId } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import type { HttpRequest, JsonResponse } from "../../http/request.js";
import { json } from "../../http/request.js";
import { requireClient } from "../auth/authenticator.js";
import { checkMayRedact, checkMessageContent } from "./event-checks.js";
import { bodyObject, nonEmptyParam, roomIdParam } from "./params.js";
import { sendClientEvent } from "./send-event.js";

export function sendHandler(app: App) {
  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const type = nonEmptyParam(req.params.eventType, "event type");
    const txnId = nonEmptyParam(req.params.txnId, "transaction ID");
    const content = { ...bodyObject(req.body) } as JsonObject;
    checkMessageContent(type, content);

    let redacts: string | undefined;
    if (type === "m.room.redaction") {
      const r = content["redacts"];
      if (typeof r !== "string" || !isValidEventId(r)) throw Errors.badJson("m.room.redaction needs the event ID it redacts in content.redacts");
      redacts = r;
      delete content["redacts"];
    }
    const eventId = await sendClientEvent(
      app,
      roomId,
      { type, sender: auth.userId, content, ...(redacts !== undefined ? { redacts } : {}) },
      {
        txn: { userId: auth.userId, deviceId: auth.deviceId, endpoint: "send", pathParams: [roomId, type], txnId },
        ...(redacts !== undefined ? { precheck: (ctx) => checkMayRedact(app, ctx, auth.userId, redacts) } : {}),
      },
    );
    return json({ event_id: eventId });
  };
}
