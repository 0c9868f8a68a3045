/**
 * `POST /_matrix/federation/v1/get_missing_events/{roomId}` (backfill.yaml): "a breadth-first
 * walk of the `prev_events` for the `latest_events`, ignoring any events in `earliest_events`
 * and stopping at the `limit`" (default 10; capped at 100 here). Events shallower than
 * `min_depth` (default 0) are neither returned nor walked past. `latest_events` themselves are
 * not returned: the requester has them.
 *
 * The answer is oldest first (by depth), the order the requester processes them in. Events it
 * may not see are redacted. ACL-protected; the requester must be in the room.
 */
import { z } from "zod";
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import type { FederationAuth, Handler } from "../../http/request.js";
import type { EventRecord } from "../../storage/events.js";
import { deeperFirst, walkableRecord } from "./dag-walk.js";
import { withPduArrays } from "./pdu-json.js";
import { pduJsonForServer, requireRoomForServer } from "./room-access.js";

export const DEFAULT_MISSING_LIMIT = 10;
export const MAX_MISSING_LIMIT = 100;

const MAX_IDS = 1000;
const Body = z.object({
  limit: z.number().int().optional(),
  min_depth: z.number().int().optional(),
  earliest_events: z.array(z.string()).max(MAX_IDS),
  latest_events: z.array(z.string()).max(MAX_IDS),
});

export function postGetMissingEventsHandler(app: App): Handler<FederationAuth> {
  return (req) => {
    const parsed = Body.safeParse(req.body);
    if (!parsed.success) throw Errors.badJson(`Invalid get_missing_events body: ${parsed.error.issues[0]?.message ?? "bad shape"}`);
    const body = parsed.data;
    const limit = Math.max(0, Math.min(body.limit ?? DEFAULT_MISSING_LIMIT, MAX_MISSING_LIMIT));
    const access = requireRoomForServer(app, req.params.roomId!, req.auth.origin);
    const records = missingEventsWalk(app, access.room.roomNid, body.earliest_events, body.latest_events, limit, body.min_depth ?? 0);
    return withPduArrays({}, { events: records.map((r) => pduJsonForServer(access, r)) });
  };
}

export function missingEventsWalk(
  app: App,
  roomNid: number,
  earliest: readonly string[],
  latest: readonly string[],
  limit: number,
  minDepth: number,
): EventRecord[] {
  const seen = new Set<string>(earliest);
  let front: string[] = [];
  for (const id of latest) {
    if (seen.has(id)) continue;
    seen.add(id);
    if (walkableRecord(app.storage, roomNid, id) !== undefined) front.push(id);
  }
  const out: EventRecord[] = [];
  while (front.length > 0 && out.length < limit) {
    const next: string[] = [];
    for (const id of front) {
      const ev = app.rooms.loader.byId(id);
      for (const prev of ev?.prevEvents ?? []) {
        if (out.length >= limit) break;
        if (seen.has(prev)) continue;
        seen.add(prev);
        const rec = walkableRecord(app.storage, roomNid, prev);
        if (rec === undefined || rec.depth < minDepth) continue;
        out.push(rec);
        next.push(prev);
      }
    }
    front = next;
  }
  return out.sort((a, b) => deeperFirst(b, a));
}
