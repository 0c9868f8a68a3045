/**
 * GET /_matrix/client/versions (client-server API, versions.yaml).
 *
 * Clients gate features on this list, so it names the spec releases whose client-server API
 * Conflux serves. Unauthenticated for now: `unstable_features` is empty for everyone, so the
 * v1.10 "may differ when authenticated" clause changes nothing yet.
 */
import type { RouteRegistrar } from "../app.js";
import { json } from "../http/request.js";

export const SUPPORTED_CLIENT_VERSIONS: readonly string[] = Array.from({ length: 19 }, (_, i) => `v1.${i + 1}`);

export const registerClientVersionsRoutes: RouteRegistrar = (router) => {
  const response = json({ versions: SUPPORTED_CLIENT_VERSIONS, unstable_features: {} });
  router.get("/_matrix/client/versions", () => response);
};
