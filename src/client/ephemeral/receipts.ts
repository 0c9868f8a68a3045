/**
 * POST /rooms/{roomId}/receipt/{receiptType}/{eventId} (receipts.yaml; modules/receipts.md)
 * and POST /rooms/{roomId}/read_markers (the three markers in one request).
 *
 * - `m.read`: stored (src/edu/receipts.ts) and sent to the room's other servers as an
 *   `m.receipt` EDU (server-server-api.md "Receipts").
 * - `m.read.private`: stored, never federated ("m.read.private MUST NOT appear in this
 *   federated m.receipt EDU") and only synced to its owner (ephemeral.ts).
 * - `m.fully_read`: not a receipt but the room account data event `m.fully_read` ("this
 *   endpoint effectively calls /read_markers internally"), written through the account-data
 *   source (src/client/sync/account-data.ts).
 *
 * `thread_id` (v1.4, threaded read receipts): a non-empty string, `main` or a thread root's
 * event ID; not allowed on `m.fully_read`. Relations are not checked against the thread
 * ("minimal" threading: the receipt is stored and delivered under its thread).
 *
 * The caller must be joined to the room and the event must be one we hold in that room.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { eduServices } from "../../edu/index.js";
import type { JsonObject } from "../../events/types.js";
import { json, type Handler, type HttpRequest } from "../../http/request.js";
import { requireClient } from "../auth/authenticator.js";
import { accountDataSourceOf } from "../sync/account-data.js";
import { queueEduSafely, roomDestinations } from "./destinations.js";

const READ = "m.read";
const READ_PRIVATE = "m.read.private";
const FULLY_READ = "m.fully_read";
const RECEIPT_TYPES: ReadonlySet<string> = new Set([READ, READ_PRIVATE, FULLY_READ]);

interface Marker {
  readonly type: string;
  readonly eventId: string;
  readonly threadId: string | undefined;
}

export function receiptHandler(app: App): Handler {
  return async (req) => {
    const { roomId, receiptType, eventId } = req.params as { roomId: string; receiptType: string; eventId: string };
    if (!RECEIPT_TYPES.has(receiptType)) throw Errors.invalidParam(`Unsupported receipt type ${receiptType}`);
    const threadId = (req.body as JsonObject).thread_id;
    if (threadId !== undefined && (typeof threadId !== "string" || threadId.length === 0)) {
      throw Errors.invalidParam("thread_id field must be a non-empty string");
    }
    if (threadId !== undefined && receiptType === FULLY_READ) throw Errors.invalidParam("thread_id is not allowed on m.fully_read");
    await applyMarkers(app, req, roomId, [{ type: receiptType, eventId, threadId }]);
    return json({});
  };
}

/** POST /rooms/{roomId}/read_markers: `m.fully_read`, `m.read`, `m.read.private`, each optional. */
export function readMarkersHandler(app: App): Handler {
  return async (req) => {
    const roomId = req.params.roomId!;
    const body = req.body as JsonObject;
    const markers: Marker[] = [];
    for (const type of [FULLY_READ, READ, READ_PRIVATE]) {
      const v = body[type];
      if (v === undefined || v === null) continue;
      if (typeof v !== "string") throw Errors.badJson(`${type} must be an event ID`);
      markers.push({ type, eventId: v, threadId: undefined });
    }
    await applyMarkers(app, req, roomId, markers);
    return json({});
  };
}

async function applyMarkers(app: App, req: HttpRequest, roomId: string, markers: readonly Marker[]): Promise<void> {
  const { userId } = requireClient(req);
  const room = app.storage.rooms.getRoom(roomId);
  if (room === undefined || app.storage.rooms.membership(room.roomNid, userId)?.membership !== "join") {
    throw Errors.forbidden("You are not in this room");
  }
  for (const m of markers) {
    if (app.storage.events.getEvent(m.eventId)?.roomNid !== room.roomNid) throw Errors.notFound(`Unknown event ${m.eventId} in this room`);
  }
  const fully = markers.find((m) => m.type === FULLY_READ);
  const source = fully === undefined ? undefined : accountDataSourceOf(app);
  if (fully !== undefined && source === undefined) {
    throw Errors.unrecognized("m.fully_read needs room account data, which this server does not store yet");
  }
  const ts = Date.now();
  const writes: Promise<unknown>[] = [];
  const receipts = markers.filter((m) => m.type !== FULLY_READ);
  if (receipts.length > 0) {
    const updates = receipts.map((m) => ({
      roomId,
      receiptType: m.type,
      userId,
      eventIds: [m.eventId],
      data: (m.threadId === undefined ? { ts } : { ts, thread_id: m.threadId }) as JsonObject,
    }));
    writes.push(eduServices(app).receipts.put(updates));
    // Queued in the same turn as the receipt write: one LMDB commit for both.
    const shared = updates.filter((u) => u.receiptType === READ);
    if (shared.length > 0) {
      const byUser: JsonObject = {};
      for (const u of shared) byUser[userId] = { event_ids: u.eventIds, data: u.data };
      writes.push(queueEduSafely(app, roomDestinations(app, roomId), "m.receipt", { [roomId]: { [READ]: byUser } }));
    }
  }
  if (fully !== undefined && source !== undefined) {
    writes.push(source.putRoomAccountData(userId, roomId, FULLY_READ, { event_id: fully.eventId }));
  }
  await Promise.all(writes);
}
