/**
 * GET/POST /_matrix/client/v3/login (client-server API "Login", login.yaml): the legacy
 * password login. `m.login.password` with `identifier` (m.id.user) or the deprecated `user`;
 * wrong credentials and unknown users get the same 403 M_FORBIDDEN after the same argon2id
 * work; a deactivated account is reported (M_USER_DEACTIVATED) only once the password is
 * right. Other login types → 400 M_UNKNOWN ("Bad login type").
 */
import { z } from "zod";
import { accountsOf } from "../../accounts/of-app.js";
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { json, type Handler } from "../../http/request.js";
import { loginUserId } from "./identifier.js";
import { PASSWORD } from "./uia.js";

/** Passwords longer than this are refused before hashing (argon2id cost is per byte too). */
export const MAX_PASSWORD_LENGTH = 1024;

const FLOWS = json({ flows: [{ type: PASSWORD }] });

const bodySchema = z.looseObject({
  type: z.string(),
  password: z.string().max(MAX_PASSWORD_LENGTH).optional(),
  device_id: z.string().optional(),
  initial_device_display_name: z.string().max(256).optional(),
  refresh_token: z.boolean().optional(),
});

export const loginFlowsHandler: Handler = () => FLOWS;

export function loginHandler(app: App): Handler {
  const accounts = accountsOf(app);
  return async (req) => {
    const parsed = bodySchema.safeParse(req.body);
    if (!parsed.success) throw Errors.badJson(parsed.error.issues[0]?.message ?? "Invalid request body");
    const body = parsed.data;
    if (body.type !== PASSWORD) throw Errors.unknown("Bad login type.");
    if (body.password === undefined) throw Errors.missingParam("password is required");
    const userId = loginUserId(accounts, req.body as Record<string, unknown>);
    if (!(await accounts.checkPassword(userId, body.password))) throw Errors.forbidden("Invalid username or password");
    if (accounts.users.get(userId)?.deactivated) throw Errors.userDeactivated();
    const session = await accounts.login(userId, {
      ...(body.device_id !== undefined ? { deviceId: body.device_id } : {}),
      ...(body.initial_device_display_name !== undefined ? { displayName: body.initial_device_display_name } : {}),
    });
    return json({ user_id: userId, access_token: session.accessToken, device_id: session.deviceId });
  };
}
