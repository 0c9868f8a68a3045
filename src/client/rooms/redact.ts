/**
 * `PUT /rooms/{roomId}/redact/{eventId}/{txnId}` (redaction.yaml, client-server-api
 * "Redactions"): an `m.room.redaction` of `eventId` with the optional `reason`, idempotent per
 * (device, path, txnId). "Any user with a power level greater than or equal to the
 * m.room.redaction event power level may send redactions for their own events … If the user's
 * power level is also greater than or equal to the redact power level of the room, the user may
 * redact events sent by other users" (event-checks.ts `checkMayRedact`). The stored event is
 * redacted per the room version once the redaction is accepted (the rooms engine), and clients
 * then get the redacted copy with `unsigned.redacted_because`.
 */
import type { App } from "../../app.js";
import type { HttpRequest, JsonResponse } from "../../http/request.js";
import { json } from "../../http/request.js";
import { requireClient } from "../auth/authenticator.js";
import { checkMayRedact } from "./event-checks.js";
import { bodyObject, eventIdParam, nonEmptyParam, reasonContent, roomIdParam } from "./params.js";
import { sendClientEvent } from "./send-event.js";

export function redactHandler(app: App) {
  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const roomId = roomIdParam(req.params.roomId);
    const target = eventIdParam(req.params.eventId);
    const txnId = nonEmptyParam(req.params.txnId, "transaction ID");
    const content = reasonContent(bodyObject(req.body));
    const eventId = await sendClientEvent(
      app,
      roomId,
      { type: "m.room.redaction", sender: auth.userId, content, redacts: target },
      {
        txn: { userId: auth.userId, deviceId: auth.deviceId, endpoint: "redact", pathParams: [roomId, target], txnId },
        precheck: (ctx) => checkMayRedact(app, ctx, auth.userId, target),
      },
    );
    return json({ event_id: eventId });
  };
}
