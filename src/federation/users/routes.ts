/**
 * Federation endpoints about our users: device lists, end-to-end keys, profiles. All
 * X-Matrix authenticated; all answer for local users only.
 */
import { accountsOf } from "../../accounts/of-app.js";
import type { RouteRegistrar } from "../../app.js";
import { json } from "../../http/request.js";
import { userDevicesResponse } from "./devices.js";
import { federationKeyClaim, federationKeyQuery } from "./keys.js";
import { federationProfile } from "./profile.js";

const V1 = "/_matrix/federation/v1";

export const registerFederationUserRoutes: RouteRegistrar = (router, app) => {
  const accounts = accountsOf(app);
  router.get(`${V1}/user/devices/:userId`, (req) => json(userDevicesResponse(accounts, req.params.userId!)), { auth: "federation" });
  router.post(`${V1}/user/keys/query`, (req) => json(federationKeyQuery(accounts, req.body)), { auth: "federation", body: "object" });
  router.post(`${V1}/user/keys/claim`, async (req) => json(await federationKeyClaim(accounts, req.body)), { auth: "federation", body: "object" });
  router.get(`${V1}/query/profile`, (req) => json(federationProfile(accounts, req.query)), { auth: "federation" });
};
