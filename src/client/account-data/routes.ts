/**
 * Account data endpoints (client-server modules/account_data.md, account-data.yaml):
 * GET/PUT /user/{userId}/account_data/{type} and
 * GET/PUT /user/{userId}/rooms/{roomId}/account_data/{type}; room tags (tags.ts).
 *
 * - Only the owner reads or writes (403 M_FORBIDDEN); unset → 404 M_NOT_FOUND.
 * - The body must be a JSON object (the router answers 400 M_NOT_JSON / M_BAD_JSON).
 * - "Servers MUST reject setting account data for event types that the server manages by using
 *   a 405 error response. Currently, this only includes `m.fully_read` and `m.push_rules`. This
 *   applies to both global and room-specific account data" (405 M_BAD_JSON, v1.10). They are
 *   read as normal: `m.push_rules` is the user's current push rules (push-rules module),
 *   `m.fully_read` is set through `/read_markers`.
 *
 * Registering these routes also connects the store to the rest of the server (once per App):
 * /sync's account-data source (`setAccountDataSource`: `account_data` sections, wake-ups,
 * `/read_markers`) and invite blocking's account-data lookup (modules/invite_permission.md:
 * `m.invite_permission_config` with `default_action: "block"`).
 */
import type { RouteRegistrar } from "../../app.js";
import { MatrixError, Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import { json, type HttpRequest } from "../../http/request.js";
import { invitePermissions } from "../../rooms/membership/invite-permission.js";
import { rateLimited } from "../rate-limit.js";
import { setAccountDataSource } from "../sync/account-data.js";
import { ownerOf, roomParam, typeParam } from "./params.js";
import { accountDataStore } from "./store.js";
import { registerTagRoutes } from "./tags.js";

const V3 = "/_matrix/client/v3";

/** Types only the server writes (account_data.md "Server Behaviour"). */
export const SERVER_MANAGED_TYPES: ReadonlySet<string> = new Set(["m.fully_read", "m.push_rules"]);

export const registerAccountDataRoutes: RouteRegistrar = (router, app) => {
  const store = accountDataStore(app.storage);
  setAccountDataSource(app, store);
  invitePermissions(app.storage).setAccountDataLookup((userId, type) => store.get(userId, undefined, type));

  // Checked in the spec's order of concern: whose data (403), then where (400), then what.
  const read = (req: HttpRequest, inRoom: boolean): JsonObject => {
    const userId = ownerOf(req);
    const roomId = inRoom ? roomParam(req) : undefined;
    const content = store.get(userId, roomId, typeParam(req));
    if (content === undefined) throw Errors.notFound(roomId === undefined ? "Account data not found" : "Room account data not found");
    return content;
  };
  const write = async (req: HttpRequest, inRoom: boolean): Promise<void> => {
    const userId = ownerOf(req);
    const roomId = inRoom ? roomParam(req) : undefined;
    const type = typeParam(req);
    if (SERVER_MANAGED_TYPES.has(type)) throw new MatrixError(405, "M_BAD_JSON", `Cannot set ${type} through this API`);
    await store.put(userId, roomId, type, req.body as JsonObject);
  };

  router.get(`${V3}/user/:userId/account_data/:type`, (req) => json(read(req, false)), { auth: "client" });
  router.put(
    `${V3}/user/:userId/account_data/:type`,
    rateLimited(app, async (req) => {
      await write(req, false);
      return json({});
    }),
    { auth: "client", body: "object" },
  );

  router.get(`${V3}/user/:userId/rooms/:roomId/account_data/:type`, (req) => json(read(req, true)), { auth: "client" });
  router.put(
    `${V3}/user/:userId/rooms/:roomId/account_data/:type`,
    rateLimited(app, async (req) => {
      await write(req, true);
      return json({});
    }),
    { auth: "client", body: "object" },
  );

  registerTagRoutes(router, app, store);
};
