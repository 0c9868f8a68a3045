/**
 * The room's `m.room.create` event, as the v12 rules need it: found by the room ID (v12 room
 * IDs are the create event's ID), and only if it was accepted.
 */
import { createEventIdOfRoom } from "../../events/ids.js";
import type { RoomEvent } from "../../events/types.js";
import type { ReadView } from "../../storage/write-batch.js";
import type { RoomContext } from "../room-context.js";

export function createEventOf(ctx: RoomContext, view?: ReadView): RoomEvent | undefined {
  const room = ctx.storage.rooms.getRoomByNid(ctx.roomNid, view);
  const id = room?.createEventId ?? (ctx.version.roomIdFromCreateEvent ? createEventIdOfRoom(ctx.roomId) : null);
  if (!id) return undefined;
  const rec = ctx.loader.record(id, view);
  if (!rec || rec.status === "rejected") return undefined;
  return ctx.loader.byNid(rec.nid, view);
}
