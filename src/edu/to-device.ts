/**
 * Send-to-device inboxes (server-server-api.md "Send-to-device messaging"; client-server
 * "Send-to-Device messaging"): one inbox per (local user, device), each message at a position
 * of the `to_device` stream. A device reads its inbox from a position (/sync `to_device`) and
 * deletes what it has acknowledged by syncing past it.
 *
 * A federated message carries a `message_id` "used for idempotence": the same (origin,
 * message_id) is delivered once, however often the EDU arrives (transaction retries, a
 * sender resending after a crash). The IDs are kept for `DEDUP_RETENTION_MS`.
 */
import type { JsonObject } from "../events/types.js";
import { boundedKeyString } from "../storage/keys.js";
import type { StoredToDevice } from "../storage/layouts/ephemeral.js";
import type { Storage } from "../storage/storage.js";
import type { EduNotifier } from "./notifier.js";
import { StreamCounter } from "./stream-counter.js";

export const DEDUP_RETENTION_MS = 7 * 24 * 3600_000;

export interface ToDeviceMessage {
  readonly sender: string;
  readonly type: string;
  readonly content: JsonObject;
}

export interface Delivery {
  readonly userId: string;
  readonly deviceId: string;
  readonly message: ToDeviceMessage;
}

export interface InboxMessage extends ToDeviceMessage {
  readonly pos: number;
}

export class ToDeviceInbox {
  private readonly counter: StreamCounter;

  constructor(
    private readonly storage: Storage,
    private readonly notifier: EduNotifier,
    private readonly now: () => number = Date.now,
  ) {
    this.counter = new StreamCounter(storage, "to_device");
  }

  get position(): number {
    return this.counter.position;
  }

  /**
   * Put messages into their inboxes in one durable write. With `dedup` (a federated message),
   * nothing is delivered if that (origin, message_id) was seen before; returns false then.
   */
  async deliver(deliveries: readonly Delivery[], dedup?: { origin: string; messageId: string }): Promise<boolean> {
    const notify: { userId: string; deviceId: string; pos: number }[] = [];
    const fresh = await this.storage.write((w) => {
      if (dedup) {
        const key: [string, string] = [dedup.origin, boundedKeyString(dedup.messageId)];
        if (w.read("toDeviceDedup", key) !== undefined) return false;
        const at = this.now();
        w.put("toDeviceDedup", key, at);
        w.put("toDeviceDedupByAge", [at, key[0], key[1]], 1);
      }
      for (const d of deliveries) {
        const pos = this.counter.next(w);
        const stored: StoredToDevice = [d.message.sender, d.message.type, JSON.stringify(d.message.content), dedup?.origin ?? null];
        w.put("toDeviceInbox", [d.userId, boundedKeyString(d.deviceId), pos], stored);
        notify.push({ userId: d.userId, deviceId: d.deviceId, pos });
      }
      return true;
    });
    for (const n of notify) {
      this.counter.committedUpTo(n.pos);
      this.notifier.emit({ stream: "to_device", pos: n.pos, userId: n.userId, deviceId: n.deviceId });
    }
    return fresh;
  }

  /** A device's messages after `pos` (up to `limit`), oldest first. */
  since(userId: string, deviceId: string, pos: number, limit = 100): { position: number; messages: InboxMessage[] } {
    const upTo = this.counter.position;
    const device = boundedKeyString(deviceId);
    const messages: InboxMessage[] = [];
    for (const { key, value } of this.storage.store.dbs.toDeviceInbox.getRange({
      start: [userId, device, pos],
      end: [userId, device, upTo],
      exclusiveStart: true,
      inclusiveEnd: true,
      limit,
    })) {
      messages.push({ pos: key[2], sender: value[0], type: value[1], content: JSON.parse(value[2]) as JsonObject });
    }
    return { position: upTo, messages };
  }

  /** Delete a device's messages up to and including `pos` (it has seen them); returns how many. */
  async deleteUpTo(userId: string, deviceId: string, pos: number): Promise<number> {
    const device = boundedKeyString(deviceId);
    const keys = [...this.storage.store.dbs.toDeviceInbox.getKeys({ start: [userId, device, 0], end: [userId, device, pos], inclusiveEnd: true })];
    if (keys.length === 0) return 0;
    await this.storage.write((w) => {
      for (const key of keys) w.remove("toDeviceInbox", key);
    });
    return keys.length;
  }

  /** Forget message IDs received before `olderThan` (default: the retention period ago). */
  async pruneDedup(olderThan = this.now() - DEDUP_RETENTION_MS, limit = 10_000): Promise<number> {
    const keys = [...this.storage.store.dbs.toDeviceDedupByAge.getKeys({ end: [olderThan], limit })];
    if (keys.length === 0) return 0;
    await this.storage.write((w) => {
      for (const key of keys) {
        w.remove("toDeviceDedupByAge", key);
        // A newer delivery of the same ID re-added it with a later timestamp: keep that one.
        if (w.read("toDeviceDedup", [key[1], key[2]]) === key[0]) w.remove("toDeviceDedup", [key[1], key[2]]);
      }
    });
    return keys.length;
  }
}
