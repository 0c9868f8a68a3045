/**
 * One sync response (sync.yaml 200), built synchronously from a `SyncRun`:
 *
 *   rooms.join / rooms.leave   room-plan.ts → room-sections.ts
 *   rooms.invite / rooms.knock pending-rooms.ts
 *   presence                   presence-section.ts
 *   account_data               the installed account-data source (account-data.ts)
 *   to_device, device_lists,   device-sections.ts
 *   device_one_time_keys_count, device_unused_fallback_key_types
 *   next_batch                 token.ts, from `run.next`
 *
 * `empty` tells the long-poll loop whether anything in the response is news for this client
 * (the key counts are always present and do not count).
 */
import type { JsonObject } from "../../events/types.js";
import { matchesEventFilter } from "../format/room-event-filter.js";
import type { AccountDataChanges } from "./account-data.js";
import { deviceListsSection, oneTimeKeyCounts, toDeviceSection } from "./device-sections.js";
import { EphemeralChanges } from "./ephemeral.js";
import { pendingRooms } from "./pending-rooms.js";
import { presenceSection } from "./presence-section.js";
import { planRooms } from "./room-plan.js";
import { joinedRoomSection, leftRoomSection } from "./room-sections.js";
import type { SyncRun } from "./run.js";
import { formatSyncToken } from "./token.js";

export interface BuiltSync {
  readonly body: JsonObject;
  readonly empty: boolean;
}

const NO_ACCOUNT_DATA: AccountDataChanges = { global: [], rooms: new Map() };

export function buildSync(run: SyncRun): BuiltSync {
  const ephemeral = new EphemeralChanges(run);
  const accountData = accountDataChanges(run);
  const extraRooms = new Set<string>(ephemeral.roomIds());
  for (const roomId of accountData.rooms.keys()) extraRooms.add(roomId);
  const extras = { ephemeral, accountData: accountData.rooms };

  const join: JsonObject = {};
  const leave: JsonObject = {};
  for (const plan of planRooms(run, extraRooms)) {
    if (plan.kind === "join") {
      const section = joinedRoomSection(run, plan, extras);
      if (section !== undefined) join[plan.roomId] = section;
    } else {
      leave[plan.roomId] = leftRoomSection(run, plan, extras);
    }
  }
  const pending = pendingRooms(run);
  for (const roomId of pending.left) {
    const ended = pending.leaveEvents.get(roomId);
    leave[roomId] ??= { timeline: { events: ended !== undefined ? [ended] : [], limited: false }, [run.useStateAfter ? "state_after" : "state"]: { events: [] }, account_data: { events: [] } };
  }

  const presence = presenceSection(run);
  const globalData = accountData.global.filter((e) => matchesEventFilter(run.filter.accountData, { type: e.type })) as unknown as JsonObject[];
  const toDevice = toDeviceSection(run);
  const deviceLists = deviceListsSection(run);
  const keys = oneTimeKeyCounts(run);

  const body: JsonObject = {
    next_batch: formatSyncToken(run.next),
    rooms: { join, invite: pending.invite, knock: pending.knock, leave },
    presence: { events: presence },
    account_data: { events: globalData },
    to_device: { events: toDevice },
    device_lists: deviceLists,
    device_one_time_keys_count: keys.counts,
    device_unused_fallback_key_types: keys.fallbackTypes,
  };
  const empty =
    isEmpty(join) &&
    isEmpty(leave) &&
    isEmpty(pending.invite) &&
    isEmpty(pending.knock) &&
    presence.length === 0 &&
    globalData.length === 0 &&
    toDevice.length === 0 &&
    deviceLists.changed.length === 0 &&
    deviceLists.left.length === 0;
  return { body, empty };
}

function accountDataChanges(run: SyncRun): AccountDataChanges {
  const source = run.ctx.accountData();
  if (source === undefined) return NO_ACCOUNT_DATA;
  const from = run.since?.accountData;
  if (from !== undefined && from >= run.to.accountData) return NO_ACCOUNT_DATA;
  return source.changes(run.userId, from, run.to.accountData);
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}
