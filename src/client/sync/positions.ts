/**
 * The current position of every stream a sync covers: what `next_batch` names. Each is the
 * highest position whose write has committed, read in one synchronous run together with the
 * data the response is built from, so the response holds exactly what lies at or below it.
 */
import type { SyncContext } from "./context.js";
import type { SyncPositions } from "./token.js";

export function currentPositions(ctx: SyncContext): SyncPositions {
  const { edu } = ctx;
  return {
    // Also starts the snapshot cache's generation for this read (snapshot-cache.ts).
    room: ctx.snapshot.generation(),
    membership: ctx.membership.position,
    receipts: edu.receipts.position,
    typing: edu.typing.position,
    presence: edu.presence.position,
    toDevice: edu.toDevice.position,
    deviceLists: ctx.accounts.deviceLists.position(),
    remoteDeviceLists: edu.deviceLists.position,
    accountData: ctx.accountData()?.position() ?? 0,
    boot: ctx.boot,
  };
}

/**
 * `since` as it applies now: a typing position from another boot reads as 0, and no position
 * may lie ahead of the current one (a token from before a database restore).
 */
export function effectiveSince(since: SyncPositions, now: SyncPositions): SyncPositions {
  return {
    room: Math.min(since.room, now.room),
    membership: Math.min(since.membership, now.membership),
    receipts: Math.min(since.receipts, now.receipts),
    typing: since.boot === now.boot ? Math.min(since.typing, now.typing) : 0,
    presence: Math.min(since.presence, now.presence),
    toDevice: Math.min(since.toDevice, now.toDevice),
    deviceLists: Math.min(since.deviceLists, now.deviceLists),
    remoteDeviceLists: Math.min(since.remoteDeviceLists, now.remoteDeviceLists),
    accountData: Math.min(since.accountData, now.accountData),
    boot: now.boot,
  };
}
