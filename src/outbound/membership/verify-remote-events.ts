/**
 * Receipt checks 1–3 (format, signatures, hashes) for events a remote handed us in an answer
 * (send_join state and auth chain, send_knock's knock_room_state, /state, /event_auth,
 * /backfill): the shared `checkFormatAndSignatures`, in batches of bounded size so one huge
 * room does not build one huge pool task, plus the room check every answer needs: an event of
 * another room (v12: a create event whose reference hash is not this room's ID) is dropped.
 *
 * Events that fail are dropped (logged by the caller), never stored: server-server-api.md
 * "Checks performed on receipt of a PDU" 1–2. A content-hash failure (check 3) keeps the
 * event in its redacted form.
 */
import type { App } from "../../app.js";
import { roomIdOfCreateEvent } from "../../events/ids.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { RoomEvent } from "../../events/types.js";
import { checkFormatAndSignatures } from "../../rooms/pipeline/check-signatures.js";

/** Events per checkFormatAndSignatures call (the pool splits each across its workers). */
const BATCH = 1_000;

export interface RemoteEventsCheck {
  /** Per input, the verified event or undefined. */
  readonly events: (RoomEvent | undefined)[];
  /** Inputs whose content hash failed (check 3): `events` holds their redacted form. */
  readonly redacted: ReadonlySet<number>;
  /** Why inputs were dropped. */
  readonly dropped: { readonly eventId: string | undefined; readonly reason: string }[];
}

export async function verifyRemoteEvents(
  app: Pick<App, "pool" | "keyRing">,
  raws: readonly unknown[],
  version: RoomVersion,
  roomId: string,
  opts: { relaxCounts?: boolean } = {},
): Promise<RemoteEventsCheck> {
  const events: (RoomEvent | undefined)[] = new Array(raws.length).fill(undefined);
  const dropped: { eventId: string | undefined; reason: string }[] = [];
  const redacted = new Set<number>();
  for (let from = 0; from < raws.length; from += BATCH) {
    const slice = raws.slice(from, from + BATCH);
    const checks = await checkFormatAndSignatures(
      { pool: app.pool, keys: app.keyRing },
      slice.map((raw) => ({ raw, version, roomId })),
      opts.relaxCounts ? { relaxCounts: true } : {},
    );
    checks.forEach((c, i) => {
      if (!c.ok) {
        dropped.push({ eventId: c.eventId, reason: c.reason });
        return;
      }
      if (c.event.type === "m.room.create" && version.roomIdFromCreateEvent && roomIdOfCreateEvent(c.event.eventId) !== roomId) {
        dropped.push({ eventId: c.event.eventId, reason: "create event of another room" });
        return;
      }
      events[from + i] = c.event;
      if (c.redacted) redacted.add(from + i);
    });
  }
  return { events, redacted, dropped };
}
