/**
 * Profiles (client-server API "Profiles", profile.yaml, v1.16): GET /profile/{userId},
 * GET/PUT/DELETE /profile/{userId}/{keyName}.
 *
 * Look-ups are open to anyone (the spec's minimum is users sharing a room with the requester;
 * we do not restrict further), remote users are fetched over federation. Unknown local users
 * and unset fields are 404 M_NOT_FOUND. Changes are the owner's only (403 otherwise); changing
 * `displayname` or `avatar_url` updates the user's member event in every joined room
 * ("Events on Change of Profile Information") before the request returns, so a client that
 * reads the room state next sees the new name.
 */
import { accountsOf } from "../../accounts/of-app.js";
import { propagateProfile } from "../../accounts/profile-propagation.js";
import { checkProfileKey, checkProfileValue } from "../../accounts/profiles.js";
import type { App, RouteRegistrar } from "../../app.js";
import { Errors } from "../../errors.js";
import { isHistoricalUserId } from "../../events/ids.js";
import type { JsonObject, JsonValue } from "../../events/types.js";
import { json, type HttpRequest, type HttpResponse } from "../../http/request.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import { requireClient, requireSelf } from "../auth/authenticator.js";
import { rateLimited } from "../rate-limit.js";
import { fetchRemoteProfile } from "./remote-profile.js";

const V3 = "/_matrix/client/v3";
const MEMBER_FIELDS = new Set(["displayname", "avatar_url"]);

export const registerProfileRoutes: RouteRegistrar = (router, app) => {
  const accounts = accountsOf(app);

  const userParam = (req: HttpRequest): string => {
    const userId = req.params.userId!;
    if (!isHistoricalUserId(userId)) throw Errors.invalidParam("Invalid user ID");
    return userId;
  };
  const localProfile = (userId: string): JsonObject => {
    if (!accounts.users.exists(userId)) throw Errors.notFound("Profile not found");
    return accounts.profiles.get(userId) ?? {};
  };

  router.get(`${V3}/profile/:userId`, async (req) => {
    const userId = userParam(req);
    return json(accounts.isLocal(userId) ? localProfile(userId) : await fetchRemoteProfile(app, userId));
  });

  router.get(`${V3}/profile/:userId/:keyName`, async (req) => {
    const userId = userParam(req);
    const keyName = req.params.keyName!;
    checkProfileKey(keyName);
    if (!accounts.isLocal(userId)) return json(await fetchRemoteProfile(app, userId, keyName));
    const value = localProfile(userId)[keyName];
    if (value === undefined) throw Errors.notFound("Profile field not found");
    return json({ [keyName]: value });
  });

  router.put(
    `${V3}/profile/:userId/:keyName`,
    rateLimited(app, (req) => {
      const { userId, keyName } = ownField(req);
      const body = req.body as JsonObject;
      if (!Object.hasOwn(body, keyName)) throw Errors.missingParam(`The body must contain "${keyName}"`);
      const value = body[keyName] as JsonValue;
      checkProfileValue(keyName, value);
      return change(app, userId, keyName, (w) => accounts.profiles.set(w, userId, keyName, value));
    }),
    { auth: "client", body: "object" },
  );

  router.delete(
    `${V3}/profile/:userId/:keyName`,
    rateLimited(app, (req) => {
      const { userId, keyName } = ownField(req);
      return change(app, userId, keyName, (w) => accounts.profiles.remove(w, userId, keyName));
    }),
    { auth: "client", body: "object-or-empty" },
  );

  const ownField = (req: HttpRequest): { userId: string; keyName: string } => {
    const auth = requireClient(req);
    const userId = userParam(req);
    requireSelf(auth, userId);
    const keyName = req.params.keyName!;
    checkProfileKey(keyName);
    return { userId, keyName };
  };
};

async function change(
  app: App,
  userId: string,
  keyName: string,
  apply: (w: WriteBatch) => boolean,
): Promise<HttpResponse> {
  const accounts = accountsOf(app);
  if (!accounts.users.exists(userId)) throw Errors.notFound("Unknown user");
  const changed = await app.storage.write(apply);
  if (changed && MEMBER_FIELDS.has(keyName)) await propagateProfile(app.rooms, userId, () => accounts.profiles.memberFields(userId));
  return json({});
}
