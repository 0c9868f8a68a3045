/**
 * Remote users' device lists and cross-signing keys (server-server-api.md "Device Management",
 * "End-to-End Encryption"; m.device_list_update and m.signing_key_update EDUs).
 *
 * Each remote user's list has a position in the sender's per-user sequence of updates
 * (`stream_id`) and the few stream IDs seen most recently. An update whose `prev_id`s are all
 * known applies incrementally; an update referring to a `prev_id` we do not recognise means an
 * EDU was lost: the update is still applied (it is the newest news about that device) and the
 * list is marked stale, to be replaced by a full resync (`GET /user/devices/{userId}`,
 * device-list-resync.ts). A user we never held a full list for is stale from their first EDU.
 *
 * Stream: every change to a user's devices or cross-signing keys moves the user to a new
 * position on the `device_lists` stream (/sync `device_lists.changed`).
 */
import type { JsonObject } from "../events/types.js";
import { boundedKeyString, prefixRange } from "../storage/keys.js";
import type { StoredDeviceList, StoredRemoteDevice } from "../storage/layouts/ephemeral.js";
import type { Storage } from "../storage/storage.js";
import type { WriteBatch } from "../storage/write-batch.js";
import type { EduNotifier } from "./notifier.js";
import { StreamCounter } from "./stream-counter.js";

/** Stream IDs remembered per user to recognise `prev_id`s (a clustered sender lists several). */
const RECENT_STREAM_IDS = 16;

export interface RemoteDevice {
  readonly deviceId: string;
  readonly displayName?: string | undefined;
  /** The device_keys object as published, when the device has keys. */
  readonly keys?: JsonObject | undefined;
}

export interface DeviceListUpdate {
  readonly userId: string;
  readonly deviceId: string;
  readonly displayName?: string | undefined;
  readonly streamId: number;
  readonly prevIds: readonly number[];
  readonly deleted: boolean;
  readonly keys?: JsonObject | undefined;
}

export interface CrossSigningKeys {
  readonly master?: JsonObject | undefined;
  readonly selfSigning?: JsonObject | undefined;
}

export interface DeviceListState {
  readonly lastStreamId: number | undefined;
  /** A full resync is needed before the list can be trusted. */
  readonly stale: boolean;
  readonly changePos: number;
}

export type UpdateOutcome = "applied" | "applied_stale" | "duplicate";

export class RemoteDeviceLists {
  private readonly counter: StreamCounter;

  constructor(
    private readonly storage: Storage,
    private readonly notifier: EduNotifier,
    private readonly now: () => number = Date.now,
  ) {
    this.counter = new StreamCounter(storage, "device_lists");
  }

  get position(): number {
    return this.counter.position;
  }

  /** Apply m.device_list_update EDUs in order, in one durable write. */
  async applyUpdates(updates: readonly DeviceListUpdate[]): Promise<UpdateOutcome[]> {
    const changed = new Map<string, number>();
    const outcomes = await this.storage.write((w) => updates.map((u) => this.applyOne(w, u, changed)));
    this.committed(changed);
    return outcomes;
  }

  /** Replace a user's whole list (a resync answer). */
  async replaceList(userId: string, streamId: number | undefined, devices: readonly RemoteDevice[], keys: CrossSigningKeys = {}): Promise<void> {
    const changed = new Map<string, number>();
    // Read the rows to delete from the committed snapshot: the device lists of one user are
    // only replaced by the resyncer, which never runs two resyncs of a user at once.
    const existing = [...this.storage.store.dbs.remoteDevices.getKeys(prefixRange([userId]))];
    await this.storage.write((w) => {
      for (const key of existing) w.remove("remoteDevices", key);
      for (const d of devices) w.put("remoteDevices", [userId, boundedKeyString(d.deviceId)], toStoredDevice(d));
      this.putKeys(w, userId, keys);
      const prev = w.read("remoteDeviceLists", userId);
      const last = streamId ?? prev?.[0] ?? null;
      this.touch(w, userId, prev, [last, false, last === null ? [] : [last], 0, this.now()], changed);
    });
    this.committed(changed);
  }

  /** m.signing_key_update: store whichever of the two keys the update carries. */
  async putCrossSigningKeys(userId: string, keys: CrossSigningKeys): Promise<void> {
    if (!keys.master && !keys.selfSigning) return;
    const changed = new Map<string, number>();
    await this.storage.write((w) => {
      this.putKeys(w, userId, keys);
      const prev = w.read("remoteDeviceLists", userId);
      this.touch(w, userId, prev, prev ? [...prev] : [null, true, [], 0, this.now()], changed);
    });
    this.committed(changed);
  }

  devices(userId: string): RemoteDevice[] {
    const out: RemoteDevice[] = [];
    for (const { key, value } of this.storage.store.dbs.remoteDevices.getRange(prefixRange([userId]))) {
      if (key.length === 2) out.push(fromStoredDevice(value));
    }
    return out;
  }

  crossSigningKeys(userId: string): CrossSigningKeys {
    const master = this.storage.store.dbs.remoteCrossSigningKeys.get([userId, "master"]);
    const selfSigning = this.storage.store.dbs.remoteCrossSigningKeys.get([userId, "self_signing"]);
    return {
      ...(master ? { master: JSON.parse(master) as JsonObject } : {}),
      ...(selfSigning ? { selfSigning: JSON.parse(selfSigning) as JsonObject } : {}),
    };
  }

  /** Undefined when we have never heard of the user's devices. */
  state(userId: string): DeviceListState | undefined {
    const s = this.storage.store.dbs.remoteDeviceLists.get(userId);
    return s ? { lastStreamId: s[0] ?? undefined, stale: s[1], changePos: s[3] } : undefined;
  }

  /** Users whose devices or cross-signing keys changed after `pos`, oldest first. */
  since(pos: number, limit = 1000): { position: number; changes: { pos: number; userId: string }[] } {
    const upTo = this.counter.position;
    const changes: { pos: number; userId: string }[] = [];
    for (const { pos: at, row } of this.counter.rows(pos, limit)) {
      changes.push({ pos: at, userId: row as string });
    }
    return { position: upTo, changes };
  }

  private applyOne(w: WriteBatch, u: DeviceListUpdate, changed: Map<string, number>): UpdateOutcome {
    const prev = w.read("remoteDeviceLists", u.userId);
    const last = prev?.[0] ?? null;
    const recent = prev?.[2] ?? [];
    if (last !== null && (u.streamId <= last || recent.includes(u.streamId))) return "duplicate";
    const known = new Set<number>(recent);
    if (last !== null) known.add(last);
    // No list yet: this update alone is not the whole list. A prev_id we never saw: a lost EDU.
    const gap = prev === undefined || u.prevIds.some((id) => !known.has(id));
    const stale = (prev?.[1] ?? false) || gap;

    const deviceKey: [string, string] = [u.userId, boundedKeyString(u.deviceId)];
    if (u.deleted) w.remove("remoteDevices", deviceKey);
    else w.put("remoteDevices", deviceKey, toStoredDevice(u));

    const nextRecent = [...recent.filter((id) => id !== u.streamId), u.streamId].slice(-RECENT_STREAM_IDS);
    this.touch(w, u.userId, prev, [Math.max(u.streamId, last ?? u.streamId), stale, nextRecent, 0, this.now()], changed);
    return stale ? "applied_stale" : "applied";
  }

  /** Record a change of `userId` on the stream; `next[3]` (changePos) is filled in here. */
  private touch(w: WriteBatch, userId: string, prev: StoredDeviceList | undefined, next: StoredDeviceList, changed: Map<string, number>): void {
    const pos = this.counter.next(w);
    if (prev && prev[3] > 0) this.counter.removeRow(w, prev[3]);
    next[3] = pos;
    w.put("remoteDeviceLists", userId, next);
    this.counter.putRow(w, pos, userId);
    changed.set(userId, pos);
  }

  private putKeys(w: WriteBatch, userId: string, keys: CrossSigningKeys): void {
    if (keys.master) w.put("remoteCrossSigningKeys", [userId, "master"], JSON.stringify(keys.master));
    if (keys.selfSigning) w.put("remoteCrossSigningKeys", [userId, "self_signing"], JSON.stringify(keys.selfSigning));
  }

  private committed(changed: ReadonlyMap<string, number>): void {
    for (const [userId, pos] of changed) {
      this.counter.committedUpTo(pos);
      this.notifier.emit({ stream: "device_lists", pos, userId });
    }
  }
}

function toStoredDevice(d: RemoteDevice): StoredRemoteDevice {
  return [d.deviceId, d.displayName ?? null, d.keys ? JSON.stringify(d.keys) : null];
}

function fromStoredDevice(s: StoredRemoteDevice): RemoteDevice {
  return {
    deviceId: s[0],
    ...(s[1] !== null ? { displayName: s[1] } : {}),
    ...(s[2] !== null ? { keys: JSON.parse(s[2]) as JsonObject } : {}),
  };
}
