/**
 * GET /_matrix/client/v3/capabilities (client-server API "Capabilities negotiation",
 * capabilities.yaml).
 *
 * - m.room_versions: the configured default and every version of the room-version table, all
 *   stable (we implement each fully).
 * - m.change_password: false (no /account/password endpoint).
 * - m.set_displayname / m.set_avatar_url: true; m.profile_fields: enabled, no restrictions
 *   (the deprecated pair must agree with it, as the spec requires).
 * - m.3pid_changes: false (no third-party identifiers); m.get_login_token: false.
 */
import type { RouteRegistrar } from "../app.js";
import { ROOM_VERSIONS } from "../events/room-versions.js";
import { json } from "../http/request.js";

export const registerCapabilitiesRoutes: RouteRegistrar = (router, app) => {
  const available: Record<string, string> = {};
  for (const id of ROOM_VERSIONS.keys()) available[id] = "stable";
  const response = json({
    capabilities: {
      "m.room_versions": { default: app.config.room.default_version, available },
      "m.change_password": { enabled: false },
      "m.set_displayname": { enabled: true },
      "m.set_avatar_url": { enabled: true },
      "m.profile_fields": { enabled: true },
      "m.3pid_changes": { enabled: false },
      "m.get_login_token": { enabled: false },
    },
  });
  router.get("/_matrix/client/v3/capabilities", () => response, { auth: "client" });
};
