/**
 * Validation of the room state another server offers with an invite (`invite_room_state`,
 * invites-v1.yaml / invites-v2.yaml) or a knock answer (`knock_room_state`, knocks.yaml), and
 * its reduction to stripped state for clients.
 *
 * Since Matrix 1.16 every entry must be a PDU formatted for the room version, correctly signed,
 * of the same room, and the list must contain `m.room.create`. Servers "SHOULD return
 * M_INVALID_PARAM if" any of that fails, MAY skip the validation for room versions 1–11 and
 * SHOULD apply it to every other version; while migrating "servers SHOULD warn about invites
 * which fail the validation rather than error in room versions 1 through 11"
 * (server-server-api.md "Inviting to a room", note).
 *
 * So: `strict` (every version but 1–11) turns any problem into 400 M_INVALID_PARAM; otherwise
 * problems are reported for a warning and the clean part is kept. What clients get
 * (`strippedState`) is never passed through unexamined: verified PDUs, reduced to stripped
 * state. In lenient versions, entries that are already stripped-state shaped (what servers
 * before 1.16 send) are kept too — the migration note exists so that those invites keep
 * working — but a PDU whose signature or room is wrong is always dropped.
 *
 * A knock answer is checked with `prune`: it arrives after the resident accepted our knock, so
 * there is nobody to answer 400 to, and knocks.yaml has no migration note: "Entries which are
 * improperly signed or formatted SHOULD be removed" — only verified PDUs are kept, whatever
 * the version, and the problems are the caller's to log.
 */
import { Errors } from "../../errors.js";
import { roomIdOfCreateEvent } from "../../events/ids.js";
import type { RoomVersion } from "../../events/room-versions.js";
import { checkPduFormat } from "../../events/pdu-format.js";
import type { RoomEvent } from "../../events/types.js";
import { CREATE } from "../auth/types.js";
import { checkFormatAndSignatures, type CheckDeps } from "../pipeline/check-signatures.js";
import { isStrippedStateShaped, toStrippedState, type StrippedStateEvent } from "./stripped-state.js";

/** Whether offered room state must be validated strictly (room-version table, v12+). */
export function offeredStateIsStrict(version: RoomVersion): boolean {
  return version.strictOfferedRoomState;
}

export interface OfferedRoomState {
  /** Verified PDUs of the room. */
  readonly events: RoomEvent[];
  /** What clients may see: `events` and (lenient versions) legacy entries, stripped. */
  readonly strippedState: StrippedStateEvent[];
  /** Everything that failed validation (empty when all is well). */
  readonly problems: string[];
}

export interface OfferedRoomStateOptions {
  /** Remove whatever fails and never throw (knock answers; see the file comment). */
  readonly prune?: boolean;
}

/**
 * Check `entries` (unchecked JSON from the remote). Throws 400 M_INVALID_PARAM when the
 * version is strict and anything is wrong; otherwise returns the problems for the caller to log.
 */
export async function validateOfferedRoomState(
  deps: CheckDeps,
  entries: readonly unknown[],
  version: RoomVersion,
  roomId: string,
  opts: OfferedRoomStateOptions = {},
): Promise<OfferedRoomState> {
  const problems: string[] = [];
  const legacy: StrippedStateEvent[] = [];
  const candidates: unknown[] = [];
  entries.forEach((raw, i) => {
    const format = checkPduFormat(raw, version);
    if (format.ok) {
      candidates.push(raw);
    } else if (isStrippedStateShaped(raw)) {
      problems.push(`entry ${i} is not a PDU of room version ${version.id} (${format.reason})`);
      legacy.push(toStrippedState(raw));
    } else {
      problems.push(`entry ${i} is neither a PDU nor stripped state: ${format.reason}`);
    }
  });

  const events: RoomEvent[] = [];
  const checks = await checkFormatAndSignatures(deps, candidates.map((raw) => ({ raw, version, roomId })));
  checks.forEach((c) => {
    if (!c.ok) return void problems.push(`event ${c.eventId ?? "?"}: ${c.reason}`);
    const ev = c.event;
    if (c.redacted) return void problems.push(`event ${ev.eventId}: content hash does not match`);
    // v12 create events carry no room_id: their room is the one their ID names.
    const room = ev.pdu.room_id ?? (ev.type === CREATE ? roomIdOfCreateEvent(ev.eventId) : undefined);
    if (room !== roomId) return void problems.push(`event ${ev.eventId} is not an event of ${roomId}`);
    if (ev.stateKey === undefined) return void problems.push(`event ${ev.eventId} is not a state event`);
    events.push(ev);
  });
  if (!events.some((e) => e.type === CREATE && e.stateKey === "")) problems.push("the m.room.create event is missing");

  const strict = offeredStateIsStrict(version);
  if (problems.length > 0 && strict && !opts.prune) throw Errors.invalidParam(`Invalid room state: ${problems.join("; ")}`);
  const strippedState = events.map((e) => toStrippedState(e.pdu));
  if (!strict && !opts.prune) strippedState.push(...legacy);
  return { events, strippedState, problems };
}
