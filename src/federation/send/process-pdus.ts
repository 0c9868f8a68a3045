/**
 * The PDUs of one transaction (server-server-api.md "Transactions", "PDUs", "Checks performed
 * on receipt of a PDU", "Server ACLs"):
 *
 *   per PDU     room known here? its version; the room's ACL allows the origin?
 *   all PDUs    checks 1–3 (format, signatures, hashes) in ONE crypto-pool batch
 *   per room    (rooms in parallel) missing prev/auth events filled in (fill-gaps.ts), then
 *               the room's PDUs, topologically sorted, to the room actor in one `receive`
 *               (checks 4–7 and the durable write)
 *
 * Every PDU gets a result keyed by its event ID: `{}` when it was accepted (or soft-failed,
 * which is still a successful receipt: "Soft failed events are otherwise handled as usual"), or
 * `{"error": …}` saying why not. A bad PDU only ever costs itself; a room whose processing
 * throws costs only that room's PDUs. Overload (a full room mailbox, a full crypto queue) is
 * different: it rejects the whole transaction, unanswered and unrecorded, so the sender
 * retries it later instead of losing those PDUs.
 */
import { PoolBusyError } from "../../crypto/pool.js";
import { roomIdForCreateEvent } from "../../events/hashes.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { JsonObject } from "../../events/types.js";
import type { Logger } from "../../log.js";
import { MailboxFullError } from "../../rooms/mailbox.js";
import { checkFormatAndSignatures, type CheckDeps, type UncheckedPdu } from "../../rooms/pipeline/check-signatures.js";
import { fillGaps, type GapFillDeps } from "../../rooms/pipeline/fill-gaps.js";
import type { EventOutcome, IncomingEvent } from "../../rooms/pipeline/receive-events.js";
import type { RoomService } from "../../rooms/room-service.js";
import { isServerAllowed, roomServerAcl } from "../acl.js";
import { bestEffortEventId, createEventVersion } from "./pdu-id.js";

export type PduResult = { error?: string };
export type PduResults = Record<string, PduResult>;

export interface PduDeps {
  readonly rooms: RoomService;
  readonly check: CheckDeps;
  readonly gaps: GapFillDeps;
  readonly log: Logger;
}

/**
 * `source`: the transaction's bytes with `pdus` at `field`, when the caller has them; the
 * pool then parses the PDUs it verifies from those bytes instead of receiving cloned objects.
 */
export async function processPdus(
  deps: PduDeps,
  origin: string,
  pdus: readonly JsonObject[],
  source?: { bytes: Uint8Array; field: string },
  txnId?: string,
): Promise<PduResults> {
  const results: PduResults = {};
  const log = deps.log.child({ origin, ...(txnId !== undefined ? { txn_id: txnId } : {}) });
  const fail = (raw: JsonObject, version: UncheckedPdu["version"] | undefined, error: string, eventId?: string): void => {
    const id = eventId ?? bestEffortEventId(raw, version);
    const roomId = typeof raw.room_id === "string" ? raw.room_id : undefined;
    if (id !== undefined) results[id] = { error };
    log.info({ event_id: id, room_id: roomId, reason: error }, "PDU dropped before reaching its room");
  };

  // Room, version and ACL per PDU, before paying for any crypto.
  const items: (UncheckedPdu & { roomId: string; raw: JsonObject })[] = [];
  // A transaction's PDUs are mostly of one room: decide each room once.
  const admissions = new Map<string, RoomAdmission>();
  for (const [sourceIndex, raw] of pdus.entries()) {
    const roomId = roomIdOf(raw);
    if (roomId === undefined) {
      fail(raw, undefined, "PDU has no room_id");
      continue;
    }
    let admission = admissions.get(roomId);
    if (admission === undefined) admissions.set(roomId, (admission = admitRoom(deps, roomId, origin)));
    const { version, refusal } = admission;
    if (!version) {
      // A room is only ever created here by joining it (or creating it), never by /send.
      fail(raw, undefined, createEventVersion(raw) ? `a create event is not accepted through /send for a room unknown here (${roomId})` : `unknown room ${roomId}`);
      continue;
    }
    if (refusal !== undefined) {
      fail(raw, version, refusal);
      continue;
    }
    items.push({ raw, version, roomId, sourceIndex });
  }

  // Checks 1–3, one batch for the whole transaction.
  const checks = await checkFormatAndSignatures(deps.check, items, source ? { source } : {});
  const byRoom = new Map<string, IncomingEvent[]>();
  const seen = new Set<string>();
  checks.forEach((c, i) => {
    const item = items[i]!;
    if (!c.ok) {
      fail(item.raw, item.version, c.reason, c.eventId);
      return;
    }
    if (seen.has(c.event.eventId)) return;
    seen.add(c.event.eventId);
    let list = byRoom.get(item.roomId);
    if (!list) byRoom.set(item.roomId, (list = []));
    list.push({ event: c.event });
  });

  // Rooms in parallel; within a room, one actor call.
  let overload: unknown;
  await Promise.all(
    [...byRoom].map(async ([roomId, events]) => {
      try {
        for (const [id, r] of await processRoom(deps, origin, roomId, events)) {
          results[id] = r;
          // Rejections and unplaced events are rare and worth an operator's look; accepted are not logged.
          if (r.error !== undefined) log.info({ room_id: roomId, event_id: id, reason: r.error }, "PDU not accepted");
        }
      } catch (err) {
        if (err instanceof MailboxFullError || err instanceof PoolBusyError) {
          overload ??= err;
          return;
        }
        log.error({ room_id: roomId, err }, "room failed while processing a transaction");
        for (const { event } of events) results[event.eventId] = { error: "internal error while processing the event" };
      }
    }),
  );
  if (overload !== undefined) throw overload;
  return results;
}

async function processRoom(deps: PduDeps, origin: string, roomId: string, batch: IncomingEvent[]): Promise<Map<string, PduResult>> {
  const { events, fetched } = await fillGaps(deps.gaps, roomId, origin, batch);
  const outcomes = await deps.rooms.actor(roomId).receive(events, origin);
  const out = new Map<string, PduResult>();
  for (const o of outcomes) if (!fetched.has(o.eventId)) out.set(o.eventId, resultOf(o));
  return out;
}

/**
 * The room a PDU is for: its `room_id`, or for a v12 `m.room.create` (which has none) the room
 * it creates, so that a room's own create event sent again is recognised as a duplicate.
 */
function roomIdOf(raw: JsonObject): string | undefined {
  if (typeof raw.room_id === "string") return raw.room_id;
  const version = createEventVersion(raw);
  if (!version) return undefined;
  try {
    return roomIdForCreateEvent(raw, version);
  } catch {
    return undefined;
  }
}

function resultOf(o: EventOutcome): PduResult {
  switch (o.status) {
    case "accepted":
    case "soft_failed":
      return {};
    case "rejected":
      return { error: `rejected: ${o.reason ?? "not allowed by the authorisation rules"}` };
    case "unplaced":
      return { error: `unplaced: ${o.reason}` };
  }
}

interface RoomAdmission {
  /** Undefined: a room we know nothing of. */
  readonly version: RoomVersion | undefined;
  /** Why none of the room's PDUs from this origin may enter. */
  readonly refusal?: string;
}

function admitRoom(deps: PduDeps, roomId: string, origin: string): RoomAdmission {
  const { storage, serverName } = deps.rooms;
  const room = storage.rooms.getRoom(roomId);
  if (!room) return { version: undefined };
  const version = deps.rooms.loader.roomVersion(room.roomNid);
  // Events of a room none of our users is in are not ours to take (we would store history
  // nobody here can see, and could not tell whether it is current).
  if (!storage.rooms.hasJoinedServer(room.roomNid, serverName)) return { version, refusal: `${serverName} is not in room ${roomId}` };
  const acl = roomServerAcl(storage, room.roomNid);
  if (acl !== undefined && !isServerAllowed(acl, origin)) return { version, refusal: `server ${origin} is denied by the room's server ACL` };
  return { version };
}
