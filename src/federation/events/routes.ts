/**
 * The federation read endpoints (server-server-api.md "Retrieving events", "Backfilling and
 * retrieving missing events", "Retrieving event authorisation information"). All are reads of
 * committed storage: none waits on a room actor.
 */
import type { RouteRegistrar } from "../../app.js";
import { getBackfillHandler } from "./backfill.js";
import { getEventAuthHandler } from "./event-auth.js";
import { getEventHandler } from "./event.js";
import { postGetMissingEventsHandler } from "./get-missing-events.js";
import { getStateIdsHandler } from "./state-ids.js";
import { getStateHandler } from "./state.js";
import { timestampIndexFor } from "./timestamp-index.js";
import { getTimestampToEventHandler } from "./timestamp-to-event.js";

const V1 = "/_matrix/federation/v1";

export const registerFederationEventRoutes: RouteRegistrar = (router, app) => {
  const fed = { auth: "federation" } as const;
  router.get(`${V1}/event/:eventId`, getEventHandler(app), fed);
  router.get(`${V1}/state/:roomId`, getStateHandler(app), fed);
  router.get(`${V1}/state_ids/:roomId`, getStateIdsHandler(app), fed);
  router.get(`${V1}/event_auth/:roomId/:eventId`, getEventAuthHandler(app), fed);
  router.get(`${V1}/backfill/:roomId`, getBackfillHandler(app), fed);
  router.post(`${V1}/get_missing_events/:roomId`, postGetMissingEventsHandler(app), fed);
  router.get(`${V1}/timestamp_to_event/:roomId`, getTimestampToEventHandler(app), fed);

  // Keep the timestamp index close behind the timeline so queries rarely wait for it.
  const index = timestampIndexFor(app.storage);
  app.rooms.onCommitted(() => index.schedule());
};
