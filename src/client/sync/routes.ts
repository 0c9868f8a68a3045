/**
 * GET /_matrix/client/v3/sync (sync.yaml), plus the filter endpoints and the ephemeral client
 * APIs (typing, receipts, read markers, presence, send-to-device), which are registered from
 * here so the server lists one registrar for the whole family.
 *
 * Query parameters: `filter` (ID or inline JSON), `since`, `full_state`, `set_presence`
 * (online | offline | unavailable; default online), `timeout` (ms, default 0), and
 * `use_state_after` (v1.16).
 */
import type { RouteRegistrar } from "../../app.js";
import { Errors } from "../../errors.js";
import { json } from "../../http/request.js";
import { requireClient } from "../auth/authenticator.js";
import { localPresenceOf, type SyncPresence } from "../ephemeral/local-presence.js";
import { registerEphemeralRoutes } from "../ephemeral/routes.js";
import { syncContextOf } from "./context.js";
import { registerFilterRoutes } from "./filter-routes.js";
import { runSync } from "./service.js";
import { parseSyncToken } from "./token.js";

const V3 = "/_matrix/client/v3";
/** Longest long-poll we hold open; clients ask for 30 s. */
export const MAX_SYNC_TIMEOUT_MS = 180_000;
const PRESENCE_VALUES: ReadonlySet<string> = new Set(["online", "offline", "unavailable"]);

export const registerSyncRoutes: RouteRegistrar = (router, app) => {
  const ctx = syncContextOf(app);
  const presence = localPresenceOf(app);

  router.get(
    `${V3}/sync`,
    async (req, http) => {
      const auth = requireClient(req);
      const q = req.query;
      const sinceParam = q.get("since");
      const since = sinceParam === null || sinceParam === "" ? undefined : parseSyncToken(sinceParam);
      const filter = ctx.filters.resolve(auth.userId, q.get("filter"));
      const setPresence = q.get("set_presence") ?? "online";
      if (!PRESENCE_VALUES.has(setPresence)) throw Errors.invalidParam("set_presence must be online, offline or unavailable");
      // Every parameter is checked before the request has any effect (presence included).
      const request = {
        userId: auth.userId,
        deviceId: auth.deviceId,
        filter,
        since,
        fullState: booleanParam(q.get("full_state"), "full_state"),
        useStateAfter: booleanParam(q.get("use_state_after"), "use_state_after"),
      };
      const timeoutMs = timeoutParam(q.get("timeout"));
      const { ready, done } = presence.syncing(auth.userId, setPresence as SyncPresence);
      try {
        await ready;
        const body = await runSync(ctx, request, timeoutMs, http);
        return json(body);
      } finally {
        done();
      }
    },
    { auth: "client" },
  );

  registerFilterRoutes(router, app);
  registerEphemeralRoutes(router, app);
};

function booleanParam(v: string | null, name: string): boolean {
  if (v === null || v === "" || v === "false") return false;
  if (v === "true") return true;
  throw Errors.invalidParam(`${name} must be true or false`);
}

function timeoutParam(v: string | null): number {
  if (v === null || v === "") return 0;
  if (!/^\d{1,15}$/.test(v)) throw Errors.invalidParam("timeout must be a non-negative integer");
  return Math.min(Number(v), MAX_SYNC_TIMEOUT_MS);
}
