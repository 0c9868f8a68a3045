/**
 * POST /_matrix/client/v3/register and GET /register/available (client-server API "Account
 * registration", registration.yaml).
 *
 * Order, per the spec: the username checks (M_INVALID_USERNAME, M_USER_IN_USE) come before
 * user-interactive auth; the one flow is m.login.dummy, offered only while
 * `registration.open` is true (closed → 403 M_FORBIDDEN; accounts are then made with the
 * `register-user` CLI). Guest accounts are not supported: `kind=guest` → 403 M_FORBIDDEN, the
 * response registration.yaml names for "a particular kind of account is not allowed".
 * Access tokens do not expire, so `expires_in_ms` and `refresh_token` are never returned
 * (allowed: "If not given, the client can assume that the access token will not expire").
 */
import { z } from "zod";
import { accountsOf } from "../../accounts/of-app.js";
import { checkUsername } from "../../accounts/username.js";
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { json, type Handler, type HttpResponse } from "../../http/request.js";
import { DUMMY, uiaOf } from "./uia.js";
import { MAX_PASSWORD_LENGTH } from "./login.js";

const bodySchema = z.looseObject({
  auth: z.unknown().optional(),
  username: z.string().optional(),
  password: z.string().max(MAX_PASSWORD_LENGTH).optional(),
  device_id: z.string().optional(),
  initial_device_display_name: z.string().max(256).optional(),
  inhibit_login: z.boolean().optional(),
  refresh_token: z.boolean().optional(),
});

export function registerHandler(app: App): Handler {
  const accounts = accountsOf(app);
  const uia = uiaOf(app);
  return async (req): Promise<HttpResponse> => {
    const kind = req.query.get("kind") ?? "user";
    if (kind === "guest") throw Errors.forbidden("Guest access is not supported on this server");
    if (kind !== "user") throw Errors.invalidParam("kind must be 'user' or 'guest'");
    if (!app.config.registration.open) throw Errors.forbidden("Registration is disabled");
    const parsed = bodySchema.safeParse(req.body);
    if (!parsed.success) throw Errors.badJson(parsed.error.issues[0]?.message ?? "Invalid request body");
    const body = parsed.data;

    let userId: string | undefined;
    if (body.username !== undefined) {
      const check = checkUsername(body.username, app.serverName);
      if (!check.ok) throw check.error;
      if (accounts.users.exists(check.userId)) throw Errors.userInUse();
      userId = check.userId;
    }
    if (body.password !== undefined && body.password.length === 0) throw Errors.weakPassword("The password must not be empty");

    const outcome = await uia.authenticate(body.auth, { action: "register", flows: [{ stages: [DUMMY] }] });
    if (!outcome.ok) return outcome.response;

    const session = body.inhibit_login
      ? undefined
      : {
          ...(body.device_id !== undefined ? { deviceId: body.device_id } : {}),
          ...(body.initial_device_display_name !== undefined ? { displayName: body.initial_device_display_name } : {}),
        };
    const result = await accounts.register({ userId: userId ?? accounts.generateUserId(), password: body.password ?? null, ...(session ? { session } : {}) });
    return json(
      result.session
        ? { user_id: result.userId, access_token: result.session.accessToken, device_id: result.session.deviceId }
        : { user_id: result.userId },
    );
  };
}

export function registerAvailableHandler(app: App): Handler {
  const accounts = accountsOf(app);
  return (req) => {
    if (!app.config.registration.open) throw Errors.forbidden("Registration is disabled");
    const username = req.query.get("username");
    if (username === null) throw Errors.missingParam("username is required");
    const check = checkUsername(username, app.serverName);
    if (!check.ok) throw check.error;
    if (accounts.users.exists(check.userId)) throw Errors.userInUse();
    return json({ available: true });
  };
}
