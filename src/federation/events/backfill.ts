/**
 * `GET /_matrix/federation/v1/backfill/{roomId}?v=…&limit=` (backfill.yaml; server-server-api.md
 * "Backfilling and retrieving missing events"): "Starting from the PDU ID(s) given in the `v`
 * argument, the PDUs given in `v` and the PDUs that preceded them are retrieved, up to the
 * total number given by the `limit`."
 *
 * The walk is a best-first search over prev_events, always taking the deepest event not yet
 * taken (ties: the later persisted), so the answer is the `limit` most recent events at or
 * before `v`, deepest first. Events the requester may not see are redacted. ACL-protected;
 * the requester must be in the room (room-access.ts). `limit` is capped at 100 (as Synapse).
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { isValidEventId } from "../../events/ids.js";
import type { FederationAuth, Handler } from "../../http/request.js";
import { MinHeap } from "../../rooms/state-res/min-heap.js";
import type { EventRecord } from "../../storage/events.js";
import { deeperFirst, walkableRecord } from "./dag-walk.js";
import { pduTransaction } from "./pdu-json.js";
import { requiredIntParam } from "./query-params.js";
import { pduJsonForServer, requireRoomForServer } from "./room-access.js";

export const MAX_BACKFILL = 100;

export function getBackfillHandler(app: App): Handler<FederationAuth> {
  return (req) => {
    const from = req.query.getAll("v").filter((v) => v !== "");
    if (from.length === 0) throw Errors.missingParam("Missing query parameter 'v'");
    const bad = from.find((v) => !isValidEventId(v));
    if (bad !== undefined) throw Errors.invalidParam(`'v' is not an event ID: ${bad}`);
    const limit = Math.min(requiredIntParam(req.query, "limit", { min: 0 }), MAX_BACKFILL);
    const access = requireRoomForServer(app, req.params.roomId!, req.auth.origin);
    const records = backfillWalk(app, access.room.roomNid, from, limit);
    return pduTransaction(
      app.serverName,
      records.map((r) => pduJsonForServer(access, r)),
    );
  };
}

/** The walk itself: up to `limit` walkable events at or before `from`, deepest first. */
export function backfillWalk(app: App, roomNid: number, from: readonly string[], limit: number): EventRecord[] {
  const byNid = new Map<number, EventRecord>();
  const heap = new MinHeap((a, b) => deeperFirst(byNid.get(a)!, byNid.get(b)!) < 0);
  const offer = (id: string) => {
    const nid = app.storage.events.nidOf(id);
    if (nid === undefined || byNid.has(nid)) return;
    const rec = walkableRecord(app.storage, roomNid, id);
    if (rec === undefined) return;
    byNid.set(nid, rec);
    heap.push(nid);
  };
  for (const id of from) offer(id);
  const out: EventRecord[] = [];
  while (out.length < limit) {
    const nid = heap.pop();
    if (nid === undefined) break;
    const rec = byNid.get(nid)!;
    out.push(rec);
    const ev = app.rooms.loader.byNid(nid);
    for (const prev of ev?.prevEvents ?? []) offer(prev);
  }
  return out;
}
