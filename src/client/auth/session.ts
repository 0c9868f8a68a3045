/**
 * Session endpoints of an authenticated client (logout.yaml, whoami.yaml):
 * - POST /logout: invalidates the token and deletes its device with the device's keys.
 * - POST /logout/all: every token and device of the user (no UIA: it locks an attacker out too).
 * - GET /account/whoami: `{user_id, device_id, is_guest}`.
 */
import { accountsOf } from "../../accounts/of-app.js";
import type { App } from "../../app.js";
import { json, type Handler } from "../../http/request.js";
import { requireClient } from "./authenticator.js";

export function logoutHandler(app: App): Handler {
  const accounts = accountsOf(app);
  return async (req) => {
    const auth = requireClient(req);
    await accounts.deleteDevices(auth.userId, [auth.deviceId]);
    return json({});
  };
}

export function logoutAllHandler(app: App): Handler {
  const accounts = accountsOf(app);
  return async (req) => {
    const auth = requireClient(req);
    await accounts.deleteAllDevices(auth.userId);
    return json({});
  };
}

export const whoamiHandler: Handler = (req) => {
  const auth = requireClient(req);
  return json({ user_id: auth.userId, device_id: auth.deviceId, is_guest: auth.isGuest });
};
