/**
 * End-to-end key endpoints (client-server API "End-to-End Encryption"): /keys/upload,
 * /keys/query, /keys/claim, /keys/changes, /keys/device_signing/upload,
 * /keys/signatures/upload. The logic lives in src/accounts/e2e/ (shared with the federation
 * endpoints) and here (remote fan-out); these handlers parse, authorise and shape.
 */
import { createHash } from "node:crypto";
import { accountsOf } from "../../accounts/of-app.js";
import { uploadKeys } from "../../accounts/e2e/upload-keys.js";
import {
  crossSigningUploadNeedsAuth,
  parseCrossSigningUpload,
  uploadCrossSigningKeys,
} from "../../accounts/e2e/upload-cross-signing.js";
import { uploadSignatures } from "../../accounts/e2e/upload-signatures.js";
import type { RouteRegistrar } from "../../app.js";
import type { JsonObject } from "../../events/types.js";
import { json } from "../../http/request.js";
import { requireClient } from "../auth/authenticator.js";
import { PASSWORD, uiaOf } from "../auth/uia.js";
import { rateLimited } from "../rate-limit.js";
import { keyChanges } from "./changes.js";
import { claimKeys } from "./claim.js";
import { queryKeys } from "./query.js";

const V3 = "/_matrix/client/v3";

export const registerKeysRoutes: RouteRegistrar = (router, app) => {
  const accounts = accountsOf(app);

  router.post(
    `${V3}/keys/upload`,
    rateLimited(app, async (req) => {
      const auth = requireClient(req);
      const counts = await uploadKeys(accounts, auth.userId, auth.deviceId, req.body as JsonObject);
      return json({ one_time_key_counts: counts });
    }),
    { auth: "client", body: "object" },
  );

  router.post(
    `${V3}/keys/query`,
    rateLimited(app, async (req) => json(await queryKeys(app, accounts, requireClient(req).userId, req.body))),
    { auth: "client", body: "object" },
  );

  router.post(
    `${V3}/keys/claim`,
    rateLimited(app, async (req) => {
      requireClient(req);
      return json(await claimKeys(app, accounts, req.body));
    }),
    { auth: "client", body: "object" },
  );

  router.get(`${V3}/keys/changes`, (req) => json(keyChanges(accounts, requireClient(req).userId, req.query)), { auth: "client" });

  router.post(
    `${V3}/keys/device_signing/upload`,
    rateLimited(app, async (req) => {
      const auth = requireClient(req);
      const body = req.body as JsonObject;
      const upload = parseCrossSigningUpload(auth.userId, body);
      if (crossSigningUploadNeedsAuth(accounts, auth.userId, upload)) {
        const outcome = await uiaOf(app).authenticate(body.auth, {
          // Bound to these keys: a completed session may repeat this upload, not replace them again.
          action: `device_signing:${auth.userId}:${createHash("sha256").update(JSON.stringify(upload)).digest("base64url")}`,
          flows: [{ stages: [PASSWORD] }],
          userId: auth.userId,
        });
        if (!outcome.ok) return outcome.response;
      }
      await uploadCrossSigningKeys(accounts, auth.userId, upload);
      return json({});
    }),
    { auth: "client", body: "object" },
  );

  router.post(
    `${V3}/keys/signatures/upload`,
    rateLimited(app, async (req) => {
      const auth = requireClient(req);
      return json({ failures: await uploadSignatures(accounts, auth.userId, req.body as JsonObject) });
    }),
    { auth: "client", body: "object" },
  );
};
