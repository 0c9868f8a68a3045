/**
 * GET and PUT /presence/{userId}/status (presence.yaml).
 *
 * - PUT: one's own presence only ("You cannot set the presence state of another user").
 * - GET: one's own, or of a user sharing a joined room with the caller (the audience presence
 *   is published to: "all users who share a room with the target user"); anyone else is 403.
 *   A local user who never had presence reads as `offline`; a user we know nothing of is 404
 *   ("There is no presence state for this user").
 */
import { accountsOf } from "../../accounts/of-app.js";
import { sharedRoomCheck } from "../../accounts/shared-rooms.js";
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { eduServices, isPresenceState } from "../../edu/index.js";
import { presenceContent } from "../../edu/presence.js";
import { isHistoricalUserId } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import { json, type Handler } from "../../http/request.js";
import { requireClient, requireSelf } from "../auth/authenticator.js";
import { localPresenceOf } from "./local-presence.js";

const MAX_STATUS_MSG = 4096;

export function putPresenceHandler(app: App): Handler {
  const local = localPresenceOf(app);
  return async (req) => {
    const auth = requireClient(req);
    requireSelf(auth, req.params.userId!);
    const body = req.body as JsonObject;
    if (!isPresenceState(body.presence)) throw Errors.badJson("presence must be online, unavailable or offline");
    const msg = body.status_msg;
    if (msg !== undefined && msg !== null && (typeof msg !== "string" || msg.length > MAX_STATUS_MSG)) {
      throw Errors.badJson(`status_msg must be a string of at most ${MAX_STATUS_MSG} characters`);
    }
    await local.set(auth.userId, body.presence, typeof msg === "string" ? msg : undefined);
    return json({});
  };
}

export function getPresenceHandler(app: App): Handler {
  const store = eduServices(app).presence;
  const accounts = accountsOf(app);
  const local = localPresenceOf(app);
  return (req) => {
    const auth = requireClient(req);
    const userId = req.params.userId!;
    if (!isHistoricalUserId(userId)) throw Errors.invalidParam("Invalid user ID");
    if (userId !== auth.userId && !sharedRoomCheck(app.storage.rooms, auth.userId)(userId)) throw Errors.forbidden("You are not allowed to see their presence");
    const e = store.get(userId);
    if (e === undefined) {
      if (accounts.isLocal(userId) && accounts.users.exists(userId)) return json({ presence: "offline" });
      throw Errors.notFound("No presence state for this user");
    }
    const lastActive = Math.max(e.lastActiveTs, local.lastActiveTs(userId) ?? 0);
    return json(presenceContent({ ...e, lastActiveTs: lastActive }, Date.now()));
  };
}

