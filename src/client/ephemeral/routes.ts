/**
 * The ephemeral client APIs and the EDU producers behind them:
 *
 *   PUT  /rooms/{roomId}/typing/{userId}                typing.ts          → m.typing
 *   POST /rooms/{roomId}/receipt/{receiptType}/{eventId} receipts.ts        → m.receipt
 *   POST /rooms/{roomId}/read_markers                    receipts.ts
 *   GET|PUT /presence/{userId}/status                    presence.ts        → m.presence (publisher)
 *   PUT  /sendToDevice/{eventType}/{txnId}               send-to-device.ts  → m.direct_to_device
 *   (accounts device-list stream)                        device-list-publisher.ts → m.device_list_update
 *
 * Registered by src/client/sync/routes.ts (one registrar for /sync and its family).
 */
import type { RouteRegistrar } from "../../app.js";
import { rateLimited } from "../rate-limit.js";
import { startDeviceListPublisher } from "./device-list-publisher.js";
import { getPresenceHandler, putPresenceHandler } from "./presence.js";
import { startPresencePublisher } from "./presence-publisher.js";
import { readMarkersHandler, receiptHandler } from "./receipts.js";
import { sendToDeviceHandler } from "./send-to-device.js";
import { typingHandler } from "./typing.js";

const V3 = "/_matrix/client/v3";

export const registerEphemeralRoutes: RouteRegistrar = (router, app) => {
  router.put(`${V3}/rooms/:roomId/typing/:userId`, typingHandler(app), { auth: "client", body: "object" });
  router.post(`${V3}/rooms/:roomId/receipt/:receiptType/:eventId`, rateLimited(app, receiptHandler(app)), { auth: "client", body: "object-or-empty" });
  router.post(`${V3}/rooms/:roomId/read_markers`, rateLimited(app, readMarkersHandler(app)), { auth: "client", body: "object" });
  router.get(`${V3}/presence/:userId/status`, getPresenceHandler(app), { auth: "client" });
  router.put(`${V3}/presence/:userId/status`, rateLimited(app, putPresenceHandler(app)), { auth: "client", body: "object" });
  router.put(`${V3}/sendToDevice/:eventType/:txnId`, rateLimited(app, sendToDeviceHandler(app)), { auth: "client", body: "object" });
  startPresencePublisher(app);
  startDeviceListPublisher(app);
};
