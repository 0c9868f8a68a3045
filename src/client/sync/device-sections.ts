/**
 * The per-device parts of a sync response:
 *
 * - `to_device` (client-server "Send-to-Device messaging", "Extensions to /sync"): the device's
 *   inbox after `since`, oldest first, at most `TO_DEVICE_BATCH` per response; `next_batch`
 *   then stops at the last message given, and the client acknowledges everything up to a
 *   position by syncing with a token that names it (the service deletes those messages).
 * - `device_lists` (E2E "Extensions to /sync"): `changed`: users whose devices or
 *   cross-signing keys changed since `since` and who share a room with the viewer (local
 *   users from the accounts stream, remote ones from the EDU store), plus users who now share
 *   an encrypted room with the viewer; `left`: users who no longer share any. Incremental
 *   syncs only (an initial sync has nothing to compare against).
 * - `device_one_time_keys_count` (with `signed_curve25519` always present, which clients read
 *   to decide when to upload more) and `device_unused_fallback_key_types`.
 */
import { changedDeviceListsFor } from "../../accounts/device-list-changes.js";
import type { JsonObject } from "../../events/types.js";
import type { SyncRun } from "./run.js";

export const TO_DEVICE_BATCH = 100;
const REMOTE_BATCH = 1000;

export function toDeviceSection(run: SyncRun): JsonObject[] {
  const from = run.since?.toDevice ?? 0;
  // Everything at or below `since` was acknowledged (and deleted): nothing new, nothing to read.
  if (from >= run.to.toDevice) return [];
  const { messages } = run.ctx.edu.toDevice.since(run.userId, run.deviceId, from, TO_DEVICE_BATCH);
  const delivered = messages.filter((m) => m.pos <= run.to.toDevice);
  const last = delivered[delivered.length - 1];
  if (delivered.length === TO_DEVICE_BATCH && last !== undefined) run.next.toDevice = Math.min(run.next.toDevice, last.pos);
  return delivered.map((m) => ({ sender: m.sender, type: m.type, content: m.content }));
}

/** Call after the room sections: they fill `run.hints`. */
export function deviceListsSection(run: SyncRun): { changed: string[]; left: string[] } {
  const since = run.since;
  if (since === undefined) return { changed: [], left: [] };
  const changed = new Set<string>();
  if (since.deviceLists < run.to.deviceLists) {
    for (const u of changedDeviceListsFor(run.ctx.accounts, run.userId, since.deviceLists, run.to.deviceLists, run.sharesRoomWith)) changed.add(u);
  }
  if (since.remoteDeviceLists < run.to.remoteDeviceLists) {
    const { changes } = run.ctx.edu.deviceLists.since(since.remoteDeviceLists, REMOTE_BATCH);
    const last = changes[changes.length - 1];
    if (changes.length === REMOTE_BATCH && last !== undefined) run.next.remoteDeviceLists = Math.min(run.next.remoteDeviceLists, last.pos);
    for (const c of changes) if (c.pos <= run.to.remoteDeviceLists && run.sharesRoomWith(c.userId)) changed.add(c.userId);
  }
  for (const u of run.hints.joined) changed.add(u);
  const left: string[] = [];
  for (const u of run.hints.left) {
    if (u !== run.userId && !changed.has(u) && !run.sharesRoomWith(u)) left.push(u);
  }
  return { changed: [...changed].sort(), left: left.sort() };
}

export function oneTimeKeyCounts(run: SyncRun): { counts: Record<string, number>; fallbackTypes: string[] } {
  const accounts = run.ctx.accounts;
  const counts = accounts.oneTimeKeys.counts(run.userId, run.deviceId);
  return {
    counts: { signed_curve25519: 0, ...counts },
    fallbackTypes: accounts.fallbackKeys.unusedTypes(run.userId, run.deviceId),
  };
}
