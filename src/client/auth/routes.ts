/**
 * Client authentication endpoints: registration, login, logout, whoami.
 * Registration and login are rate limited per IP address (they are unauthenticated).
 */
import type { RouteRegistrar } from "../../app.js";
import { rateLimited } from "../rate-limit.js";
import { loginFlowsHandler, loginHandler } from "./login.js";
import { registerAvailableHandler, registerHandler } from "./register.js";
import { logoutAllHandler, logoutHandler, whoamiHandler } from "./session.js";

const V3 = "/_matrix/client/v3";

export const registerClientAuthRoutes: RouteRegistrar = (router, app) => {
  router.post(`${V3}/register`, rateLimited(app, registerHandler(app)), { body: "object" });
  router.get(`${V3}/register/available`, rateLimited(app, registerAvailableHandler(app)));
  router.get(`${V3}/login`, loginFlowsHandler);
  router.post(`${V3}/login`, rateLimited(app, loginHandler(app)), { body: "object" });
  router.post(`${V3}/logout`, logoutHandler(app), { auth: "client", body: "object-or-empty" });
  router.post(`${V3}/logout/all`, logoutAllHandler(app), { auth: "client", body: "object-or-empty" });
  router.get(`${V3}/account/whoami`, whoamiHandler, { auth: "client" });
};
