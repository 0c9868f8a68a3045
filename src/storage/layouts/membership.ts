/**
 * Sub-databases of this domain: membership handshakes: invites and knocks of local users, for
 * rooms we may not be in (stripped state for /sync's `invite` and `knock` sections).
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 *
 * Module: src/rooms/membership/membership-store.ts (`MembershipStore`) is the only reader and
 * writer.
 */
import { db } from "../db-spec.js";

/**
 * [pos, roomVersion, eventJson, strippedJson, origin, receivedTs]
 * - `pos`: the membership stream position of the last change to this entry;
 * - `eventJson`: the membership event (federation form, as signed) as JSON text;
 * - `strippedJson`: the room's stripped state (client-server "Stripped state") as JSON text,
 *   an array of `{type, state_key, sender, content}`;
 * - `origin`: the server that told us (null when the event came through one of our rooms).
 */
export type StoredPendingMembership = [
  pos: number,
  roomVersion: string,
  eventJson: string,
  strippedJson: string,
  origin: string | null,
  receivedTs: number,
];

/** 0 = invite, 1 = knock. */
export type PendingKindCode = 0 | 1;

/**
 * [kind, userId, roomId, removed, leave?]
 * - `leave`: for a removal that a leave handshake ended (a rejected remote invite, a withdrawn
 *   remote knock), `[eventId, pduJson]` of that leave event: we are not in the room, so it is
 *   stored nowhere else, and /sync's `rooms.leave` shows it to the user.
 */
export type StoredMembershipChange = [kind: PendingKindCode, userId: string, roomId: string, removed: boolean, leave?: [eventId: string, pduJson: string]];

export const MEMBERSHIP_LAYOUT = {
  membershipInvites: db<[string, string], StoredPendingMembership>({
    name: "membership_invites",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, roomId] (userId local)",
    value: "StoredPendingMembership tuple",
    writer: "MembershipStore (federation /invite, our rooms' invite events, outbound invites)",
    why: "a local user's pending invites, including rooms this server is not in",
  }),
  membershipKnocks: db<[string, string], StoredPendingMembership>({
    name: "membership_knocks",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, roomId] (userId local)",
    value: "StoredPendingMembership tuple",
    writer: "MembershipStore (remote knocks by the outbound side, our rooms' knock events)",
    why: "a local user's pending knocks, with the knock_room_state the resident gave",
  }),
  membershipStream: db<number, StoredMembershipChange>({
    name: "membership_stream",
    encoding: "msgpack",
    readInWrite: false,
    key: "membership stream position (> 0, increasing in commit order)",
    value: "StoredMembershipChange tuple",
    writer: "MembershipStore (with every put/remove)",
    why: "/sync: which invites and knocks changed since a token, in one range scan",
  }),
  membershipMeta: db<string, number>({
    name: "membership_meta",
    encoding: "msgpack",
    readInWrite: true,
    key: '"position"',
    value: "the last allocated membership stream position",
    writer: "MembershipStore",
    why: "the stream counter survives restarts",
  }),
} as const;
