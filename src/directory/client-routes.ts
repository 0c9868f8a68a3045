/**
 * The directory's client-server endpoints: aliases (client-alias-routes.ts), the published room
 * directory (client-public-rooms-routes.ts) and the space hierarchy (client-hierarchy.ts).
 */
import type { RouteRegistrar } from "../app.js";
import { registerClientAliasRoutes } from "./client-alias-routes.js";
import { getClientHierarchyHandler } from "./client-hierarchy.js";
import { registerClientPublicRoomsRoutes } from "./client-public-rooms-routes.js";

export const registerDirectoryClientRoutes: RouteRegistrar = (router, app) => {
  registerClientAliasRoutes(router, app);
  registerClientPublicRoomsRoutes(router, app);
  router.get("/_matrix/client/v1/rooms/:roomId/hierarchy", getClientHierarchyHandler(app), { auth: "client" });
};
