/**
 * Device management (client-server API "Device Management"): GET /devices,
 * GET/PUT/DELETE /devices/{deviceId}, POST /delete_devices.
 *
 * Deleting devices needs user-interactive auth with the account password (the endpoints'
 * purpose: a stolen access token alone must not be able to sign the user out everywhere); the
 * device's access token and end-to-end keys go with it (accounts.ts `deleteDevices`). A device
 * that does not exist is not an error for DELETE (the outcome the client asked for holds).
 * Renaming is a device-list change (other users' clients show device names).
 */
import { z } from "zod";
import type { DeviceRecord } from "../../accounts/devices.js";
import { accountsOf } from "../../accounts/of-app.js";
import type { App, RouteRegistrar } from "../../app.js";
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import { json, type HttpRequest, type HttpResponse } from "../../http/request.js";
import { requireClient } from "../auth/authenticator.js";
import { PASSWORD, uiaOf } from "../auth/uia.js";
import { rateLimited } from "../rate-limit.js";

const V3 = "/_matrix/client/v3";
const MAX_DISPLAY_NAME = 256;

const renameSchema = z.looseObject({ display_name: z.string().max(MAX_DISPLAY_NAME).optional() });
const deleteManySchema = z.looseObject({ devices: z.array(z.string()).max(1000), auth: z.unknown().optional() });

export function deviceJson(d: DeviceRecord): JsonObject {
  const out: JsonObject = { device_id: d.deviceId };
  if (d.displayName !== null) out.display_name = d.displayName;
  if (d.lastSeenIp !== null) out.last_seen_ip = d.lastSeenIp;
  if (d.lastSeenTs !== null) out.last_seen_ts = d.lastSeenTs;
  return out;
}

export const registerDeviceRoutes: RouteRegistrar = (router, app) => {
  const accounts = accountsOf(app);

  router.get(
    `${V3}/devices`,
    (req) => json({ devices: accounts.listDevices(requireClient(req).userId).map(deviceJson) }),
    { auth: "client" },
  );

  router.get(
    `${V3}/devices/:deviceId`,
    (req) => {
      const device = accounts.getDevice(requireClient(req).userId, req.params.deviceId!);
      if (device === undefined) throw Errors.notFound("Unknown device");
      return json(deviceJson(device));
    },
    { auth: "client" },
  );

  router.put(
    `${V3}/devices/:deviceId`,
    rateLimited(app, async (req) => {
      const auth = requireClient(req);
      const parsed = renameSchema.safeParse(req.body);
      if (!parsed.success) throw Errors.badJson(parsed.error.issues[0]?.message ?? "Invalid request body");
      const deviceId = req.params.deviceId!;
      if (parsed.data.display_name === undefined) {
        if (!accounts.devices.exists(auth.userId, deviceId)) throw Errors.notFound("Unknown device");
      } else if (!(await accounts.renameDevice(auth.userId, deviceId, parsed.data.display_name))) {
        throw Errors.notFound("Unknown device");
      }
      return json({});
    }),
    { auth: "client", body: "object" },
  );

  router.delete(
    `${V3}/devices/:deviceId`,
    rateLimited(app, (req) => deleteDevices(app, req, [req.params.deviceId!], req.body)),
    { auth: "client", body: "object-or-empty" },
  );

  router.post(
    `${V3}/delete_devices`,
    rateLimited(app, (req) => {
      const parsed = deleteManySchema.safeParse(req.body);
      if (!parsed.success) throw Errors.badJson(parsed.error.issues[0]?.message ?? "Invalid request body");
      return deleteDevices(app, req, parsed.data.devices, req.body);
    }),
    { auth: "client", body: "object" },
  );
};

async function deleteDevices(app: App, req: HttpRequest, deviceIds: readonly string[], body: unknown): Promise<HttpResponse> {
  const auth = requireClient(req);
  const outcome = await uiaOf(app).authenticate((body as Record<string, unknown> | undefined)?.auth, {
    // Bound to the exact devices: a completed session may repeat this deletion, not another.
    action: `delete_devices:${auth.userId}:${JSON.stringify([...new Set(deviceIds)].sort())}`,
    flows: [{ stages: [PASSWORD] }],
    userId: auth.userId,
  });
  if (!outcome.ok) return outcome.response;
  await accountsOf(app).deleteDevices(auth.userId, deviceIds);
  return json({});
}

