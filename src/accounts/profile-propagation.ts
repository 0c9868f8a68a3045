/**
 * Client-server API "Events on Change of Profile Information": when a user changes their
 * `displayname` or `avatar_url`, an `m.room.member` event (membership `join`) with the new
 * values is sent to every room they are joined to.
 *
 * Each room's update runs inside that room's actor (`exclusive`), reading the user's current
 * member event there: a profile change racing a leave must not re-join the user, and the new
 * event keeps the rest of the current member content. `join_authorised_via_users_server` and
 * `reason` belong to the original join, not to a profile update, so they are not copied.
 * Rooms are updated a few at a time; a room that refuses the event (e.g. power levels) is
 * logged and skipped, never failing the profile change itself.
 */
import type { JsonObject } from "../events/types.js";
import { logger } from "../log.js";
import type { RoomService } from "../rooms/room-service.js";

const CONCURRENCY = 4;
const NOT_COPIED = ["join_authorised_via_users_server", "reason"];
const log = logger("accounts.profile");

export interface MemberProfile {
  readonly displayname?: string;
  readonly avatar_url?: string;
}

/**
 * Update the user's member event in every joined room; returns how many rooms got a new event.
 * `current` is read inside each room's job, so concurrent profile changes end with the latest
 * profile in every room whatever order their jobs ran in.
 */
export async function propagateProfile(rooms: RoomService, userId: string, current: () => MemberProfile): Promise<number> {
  const storage = rooms.storage;
  const joined = storage.rooms.roomsOfUser(userId, "join");
  let next = 0;
  let updated = 0;
  const worker = async (): Promise<void> => {
    while (next < joined.length) {
      const { roomNid } = joined[next++]!;
      const roomId = storage.rooms.getRoomByNid(roomNid)?.roomId;
      if (roomId === undefined) continue;
      try {
        if (await updateRoom(rooms, roomId, roomNid, userId, current)) updated++;
      } catch (err) {
        log.warn({ err, room_id: roomId, user_id: userId }, "could not update member event with new profile");
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, joined.length) }, worker));
  return updated;
}

function updateRoom(rooms: RoomService, roomId: string, roomNid: number, userId: string, current: () => MemberProfile): Promise<boolean> {
  const actor = rooms.actor(roomId);
  return actor.exclusive(async () => {
    const member = rooms.storage.rooms.membership(roomNid, userId);
    if (member?.membership !== "join") return false;
    const event = rooms.loader.byNid(member.nid);
    if (event === undefined) return false;
    const profile = current();
    const content = withoutKeys(event.content, NOT_COPIED);
    const unchanged = JSON.stringify(content);
    setOrDelete(content, "displayname", profile.displayname);
    setOrDelete(content, "avatar_url", profile.avatar_url);
    if (JSON.stringify(content) === unchanged) return false;
    await actor.sendNow({ type: "m.room.member", stateKey: userId, sender: userId, content });
    return true;
  });
}

function setOrDelete(content: JsonObject, key: string, value: string | undefined): void {
  if (value === undefined) delete content[key];
  else content[key] = value;
}

function withoutKeys(content: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = { ...content };
  for (const key of keys) delete out[key];
  return out;
}
