/**
 * What wakes a waiting /sync (notifier.ts), feed by feed:
 *
 * | feed                                   | wakes                                          |
 * |----------------------------------------|------------------------------------------------|
 * | room commit (rooms.onCommitted)        | the room; the target of each member event      |
 * | typing, receipts (EDU notifier)        | the room                                       |
 * | presence, remote device list change    | the user, and every room they are joined to    |
 * | local device list change (accounts)    | the same, for each user in the new entries     |
 * | to-device message                      | the recipient                                  |
 * | invite / knock store                   | the invited / knocking user                    |
 * | account data                           | its owner                                      |
 *
 * Member events wake their target by user because a user who is being invited or joined is not
 * registered under the room yet.
 */
import { MEMBER } from "../../rooms/auth/types.js";
import { whenAccountDataSource } from "./account-data.js";
import type { SyncContext } from "./context.js";

export function connectWakeSources(ctx: SyncContext): void {
  const { app, notifier } = ctx;
  const storage = app.storage;

  const wakeRoomsOf = (userId: string): void => {
    notifier.wakeUser(userId);
    for (const { roomNid } of storage.rooms.roomsOfUser(userId, "join")) {
      const roomId = storage.rooms.getRoomByNid(roomNid)?.roomId;
      if (roomId !== undefined && notifier.hasRoomWaiters(roomId)) notifier.wakeRoom(roomId);
    }
  };

  // Commits wake their waiters on the next turn, not inside the commit's continuation: the
  // request that caused the commit (a client send, a /send transaction) is answered first,
  // instead of queueing behind every /sync it wakes (1 000 waiters × their response builds).
  const rooms = new Set<string>();
  const users = new Set<string>();
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    for (const roomId of rooms) notifier.wakeRoom(roomId);
    for (const userId of users) notifier.wakeUser(userId);
    rooms.clear();
    users.clear();
  };
  app.rooms.onCommitted((room, infos) => {
    rooms.add(room.roomId);
    for (const info of infos) {
      if (info.event.type === MEMBER && info.event.stateKey !== undefined) users.add(info.event.stateKey);
    }
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });

  ctx.edu.notifier.onChange((change) => {
    switch (change.stream) {
      case "typing":
      case "receipts":
        if (change.roomId !== undefined) notifier.wakeRoom(change.roomId);
        return;
      case "presence":
      case "device_lists":
        if (change.userId !== undefined && notifier.waiting > 0) wakeRoomsOf(change.userId);
        return;
      case "to_device":
        if (change.userId !== undefined) notifier.wakeUser(change.userId);
        return;
    }
  });

  ctx.membership.onChange((change) => notifier.wakeUser(change.userId));

  // The local device-list stream reports positions only; read which users the new entries name.
  let seen = ctx.accounts.deviceLists.position();
  ctx.accounts.deviceLists.onChange((position) => {
    if (position <= seen) return;
    const users = ctx.accounts.deviceLists.changedUsers(seen, position);
    seen = position;
    if (notifier.waiting === 0) return;
    for (const userId of users) wakeRoomsOf(userId);
  });

  whenAccountDataSource(app, (source) => {
    source.onChange((userId) => notifier.wakeUser(userId));
  });
}
