/**
 * GET /sync as a loop (client-server-api "Syncing"; sync.yaml):
 *
 *   acknowledge to-device messages up to since.d (the client has them: it used the token)
 *   loop:
 *     to := current positions                       ┐ one synchronous run: the response holds
 *     nothing moved since `since`? → wait           │ exactly what lies at or below `to`, and
 *     else build(since → to)                        │ the wait registers before any later
 *       news for this client, or initial/full_state │ change can be announced
 *       or out of time → respond                    ┘
 *       nothing for us → since := to, wait again with the time left
 *
 * Waiting is the notifier's (notifier.ts): the request wakes when its user, or a room it is
 * joined to, changes; never by polling. `timeout` defaults to 0 ("return immediately even if
 * the response is empty"); `full_state` ignores it ("the query will return immediately").
 */
import type { JsonObject } from "../../events/types.js";
import type { RequestContext } from "../../http/request.js";
import { buildSync } from "./build.js";
import type { SyncContext } from "./context.js";
import { currentPositions, effectiveSince } from "./positions.js";
import { SyncRun, type SyncRequest } from "./run.js";
import { samePositions, type SyncPositions } from "./token.js";

export async function runSync(ctx: SyncContext, req: SyncRequest, timeoutMs: number, http?: RequestContext): Promise<JsonObject> {
  if (req.since !== undefined && req.since.toDevice > 0) {
    await ctx.edu.toDevice.deleteUpTo(req.userId, req.deviceId, req.since.toDevice);
  }
  let deadline = Date.now() + (req.since === undefined || req.fullState ? 0 : timeoutMs);
  let since: SyncPositions | undefined = req.since;
  for (;;) {
    const to = currentPositions(ctx);
    const from = since === undefined ? undefined : effectiveSince(since, to);
    const left = deadline - Date.now();
    if (from === undefined || left <= 0 || !samePositions(from, to)) {
      const built = buildSync(new SyncRun(ctx, req, from, to));
      if (!built.empty || from === undefined || req.fullState || left <= 0) return built.body;
      // Nothing in (from, to] is for this client: wait for what comes after it.
      since = to;
    }
    const rooms = joinedRoomIds(ctx, req.userId);
    const woken = await ctx.notifier.wait(req.userId, rooms, deadline - Date.now());
    // The client went away while we waited: nobody will read a response.
    if (http?.aborted) return {};
    // Timed out, or released at shutdown: answer now (waiting again would return at once
    // forever once the notifier is closed).
    if (!woken) deadline = 0;
  }
}

function joinedRoomIds(ctx: SyncContext, userId: string): string[] {
  const storage = ctx.app.storage;
  const out: string[] = [];
  for (const { roomNid } of storage.rooms.roomsOfUser(userId, "join")) {
    const roomId = ctx.snapshot.roomId(roomNid);
    if (roomId !== undefined) out.push(roomId);
  }
  return out;
}
