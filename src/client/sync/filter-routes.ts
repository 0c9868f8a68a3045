/**
 * POST /user/{userId}/filter and GET /user/{userId}/filter/{filterId} (filter.yaml). Both act on
 * the caller's own filters only: "The access token must be authorised to make requests for
 * this user id."
 */
import type { RouteRegistrar } from "../../app.js";
import { Errors } from "../../errors.js";
import { json } from "../../http/request.js";
import { requireClient, requireSelf } from "../auth/authenticator.js";
import { rateLimited } from "../rate-limit.js";
import { syncContextOf } from "./context.js";

const V3 = "/_matrix/client/v3";

export const registerFilterRoutes: RouteRegistrar = (router, app) => {
  const { filters } = syncContextOf(app);

  router.post(
    `${V3}/user/:userId/filter`,
    rateLimited(app, async (req) => {
      const auth = requireClient(req);
      requireSelf(auth, req.params.userId!);
      return json({ filter_id: await filters.create(auth.userId, req.body) });
    }),
    { auth: "client", body: "object" },
  );

  router.get(
    `${V3}/user/:userId/filter/:filterId`,
    (req) => {
      const auth = requireClient(req);
      requireSelf(auth, req.params.userId!);
      const def = filters.get(auth.userId, req.params.filterId!);
      if (def === undefined) throw Errors.notFound("No such filter");
      return json(def);
    },
    { auth: "client" },
  );
};
