/**
 * GET /_matrix/client/v3/keys/changes?from=&to= (client-server API "Tracking the device list
 * for a user"): whose device lists changed between two /sync tokens, so a client that missed
 * syncs knows whose keys to query again.
 *
 * Tokens are /sync `next_batch` tokens (src/client/sync/token.ts): `deviceListPositionsOf`
 * gives the local users' (`l`) and remote users' (`e`) device-list stream positions and
 * `roomPositionOf` the room stream position (`s`). A bare decimal is still read as a local
 * device-list position (the form this endpoint took before /sync carried one); such a token
 * names no remote or room position, so those parts are skipped.
 *
 * - `changed`: users whose devices or cross-signing keys changed in the window and who share a
 *   joined room with the caller (plus the caller): local users from the accounts stream
 *   (`changedDeviceListsFor`), remote users from the EDU store's stream
 *   (`eduServices(app).deviceLists.since`).
 * - `left`: "users who may have left all the end-to-end encrypted rooms they previously shared
 *   with the user". Read from the room stream's member changes in the window, in rooms the
 *   caller is joined to or whose membership of the caller changed in the window (never other
 *   rooms: that would tell the caller about rooms it is not in): users whose membership changed
 *   there, and the remaining members of rooms the caller left, who now share no joined room
 *   with the caller. Best effort by design ("may have"): at most `MAX_STATE_DELTAS` changes
 *   are read; a user missed here only stays tracked by the client, which is harmless.
 *
 * The remote stream belongs to the App's EDU services, which `keyChanges` reaches through its
 * `Accounts`: `registerKeyChangeSources` (listed with the client routes) connects the two at
 * start-up. Without it, remote users are not reported.
 */
import type { Accounts } from "../../accounts/accounts.js";
import { changedDeviceListsFor } from "../../accounts/device-list-changes.js";
import { sharedRoomCheck } from "../../accounts/shared-rooms.js";
import { accountsOf } from "../../accounts/of-app.js";
import type { RouteRegistrar } from "../../app.js";
import type { RemoteDeviceLists } from "../../edu/device-lists.js";
import { eduServices } from "../../edu/index.js";
import { Errors } from "../../errors.js";
import { splitStateKey } from "../../events/types.js";
import { MEMBER } from "../../rooms/auth/types.js";
import { deviceListPositionsOf, roomPositionOf } from "../sync/token.js";

const PAGE = 1000;
const MAX_STATE_DELTAS = 20_000;

interface TokenPositions {
  readonly local: number;
  readonly remote: number | undefined;
  readonly room: number | undefined;
}

const remoteLists = new WeakMap<Accounts, RemoteDeviceLists>();

/** Connects /keys/changes to the App's remote device-list stream (registers no route). */
export const registerKeyChangeSources: RouteRegistrar = (_router, app) => {
  remoteLists.set(accountsOf(app), eduServices(app).deviceLists);
};

/** The positions a `from`/`to` token names; `undefined` when it is not a token of ours. */
export function keyChangeToken(token: string): TokenPositions | undefined {
  if (/^\d{1,15}$/.test(token)) return { local: Number(token), remote: undefined, room: undefined };
  const lists = deviceListPositionsOf(token);
  return lists === undefined ? undefined : { local: lists.local, remote: lists.remote, room: roomPositionOf(token) };
}

export function keyChanges(accounts: Accounts, viewer: string, query: URLSearchParams): { changed: string[]; left: string[] } {
  const fromToken = query.get("from");
  const toToken = query.get("to");
  if (fromToken === null) throw Errors.missingParam("from is required");
  if (toToken === null) throw Errors.missingParam("to is required");
  const from = keyChangeToken(fromToken);
  const to = keyChangeToken(toToken);
  if (from === undefined || to === undefined) throw Errors.invalidParam("from and to must be sync tokens");

  const shares = sharedRoomCheck(accounts.storage.rooms, viewer);
  const changed = new Set(changedDeviceListsFor(accounts, viewer, Math.min(from.local, to.local), Math.max(from.local, to.local), shares));
  const remote = remoteLists.get(accounts);
  if (remote !== undefined && from.remote !== undefined && to.remote !== undefined) {
    for (const userId of remoteChanges(remote, Math.min(from.remote, to.remote), Math.max(from.remote, to.remote))) {
      if (shares(userId)) changed.add(userId);
    }
  }
  const left: string[] = [];
  if (from.room !== undefined && to.room !== undefined) {
    for (const userId of leaveCandidates(accounts, viewer, Math.min(from.room, to.room), Math.max(from.room, to.room))) {
      if (userId !== viewer && !changed.has(userId) && !shares(userId)) left.push(userId);
    }
  }
  return { changed: [...changed].sort(), left: left.sort() };
}

/** Remote users with a device-list change at positions in (after, upTo]. */
function remoteChanges(remote: RemoteDeviceLists, after: number, upTo: number): Set<string> {
  const users = new Set<string>();
  let cursor = after;
  while (cursor < upTo) {
    const { changes } = remote.since(cursor, PAGE);
    for (const c of changes) if (c.pos <= upTo) users.add(c.userId);
    const last = changes[changes.length - 1];
    if (changes.length < PAGE || last === undefined) break;
    cursor = last.pos;
  }
  return users;
}

/** Users who may have stopped sharing a room with `viewer` in (after, upTo] of the room stream. */
function leaveCandidates(accounts: Accounts, viewer: string, after: number, upTo: number): Set<string> {
  const rooms = accounts.storage.rooms;
  const changedMembers = new Map<number, Set<string>>();
  let cursor = after;
  let read = 0;
  while (cursor < upTo && read < MAX_STATE_DELTAS) {
    const deltas = rooms.stateDeltasSince(cursor, PAGE, upTo);
    for (const d of deltas) {
      for (const c of d.changes) {
        const { type, stateKey } = splitStateKey(c.key);
        if (type !== MEMBER) continue;
        let set = changedMembers.get(d.roomNid);
        if (set === undefined) changedMembers.set(d.roomNid, (set = new Set()));
        set.add(stateKey);
      }
    }
    read += deltas.length;
    const last = deltas[deltas.length - 1];
    if (deltas.length < PAGE || last === undefined) break;
    cursor = last.pos;
  }
  const candidates = new Set<string>();
  for (const [roomNid, members] of changedMembers) {
    const joined = rooms.membership(roomNid, viewer)?.membership === "join";
    // A room the caller neither is in nor left in this window is none of its business.
    if (!joined && !members.has(viewer)) continue;
    for (const u of members) candidates.add(u);
    if (!joined) for (const m of rooms.members(roomNid, "join")) candidates.add(m.userId);
  }
  return candidates;
}
