/**
 * The device-list change stream: one entry per change to a user's devices or cross-signing
 * keys, at an increasing position, in commit order.
 *
 * Readers:
 * - `/keys/changes` and `/sync` `device_lists.changed`: users whose lists changed between two
 *   positions (client-server API "Tracking the device list for a user").
 * - the outbound sender: one `m.device_list_update` EDU per entry with a `deviceId` (stream_id =
 *   position, prev_id = the user's previous position: we emit in series, so there is exactly one,
 *   server-server API "Device Management"), one `m.signing_key_update` per entry without.
 *   See device-list-edus.ts for the EDU contents.
 *
 * Writers: the accounts operations (device added, deleted or renamed, device keys or
 * cross-signing keys or signatures changed), and the EDU ingestion for remote users' lists
 * (call `record(w, userId, deviceId)` in your write, then `notify()` once it resolved).
 */
import { logger } from "../log.js";
import type { StoredDeviceListChange } from "../storage/layouts/accounts.js";
import type { Store } from "../storage/store.js";
import type { WriteBatch } from "../storage/write-batch.js";

export interface DeviceListChange {
  readonly position: number;
  readonly userId: string;
  /** `null`: the user's cross-signing keys (or signatures on them) changed. */
  readonly deviceId: string | null;
  /** The same user's previous position (`prev_id` of the EDU), `null` for the first. */
  readonly prevId: number | null;
}

export type DeviceListListener = (position: number) => void;

const POSITION_KEY = "device_list_pos";
const log = logger("accounts.device-lists");

export class DeviceListStream {
  private readonly listeners = new Set<DeviceListListener>();

  constructor(private readonly store: Store) {}

  /**
   * Append a change inside a write; returns its position. Device changes form the user's
   * `m.device_list_update` chain (`prevId` = the previous device change, and `/user/devices`
   * reports the latest as `stream_id`); cross-signing changes (`deviceId` null) travel as
   * `m.signing_key_update`, which has no chain, so they neither link nor advance it.
   */
  record(w: WriteBatch, userId: string, deviceId: string | null): number {
    const position = (w.read("accountsMeta", POSITION_KEY) ?? 0) + 1;
    w.put("accountsMeta", POSITION_KEY, position);
    let prev: number | null = null;
    if (deviceId !== null) {
      prev = w.read("deviceListLatest", userId) ?? null;
      w.put("deviceListLatest", userId, position);
    }
    w.put("deviceListChanges", position, [userId, deviceId, prev] satisfies StoredDeviceListChange);
    return position;
  }

  /** The latest committed position (0 before the first change). */
  position(): number {
    return this.store.dbs.accountsMeta.get(POSITION_KEY) ?? 0;
  }

  /** A user's latest device change: `stream_id` of federation `/user/devices` (0 if none yet). */
  streamId(userId: string): number {
    return this.store.dbs.deviceListLatest.get(userId) ?? 0;
  }

  /** Entries after `after`, up to and including `upTo`, oldest first, at most `limit`. */
  since(after: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): DeviceListChange[] {
    const out: DeviceListChange[] = [];
    if (upTo <= after || limit <= 0) return out;
    for (const { key, value } of this.store.dbs.deviceListChanges.getRange({ start: after + 1, end: upTo + 1, limit })) {
      out.push({ position: key, userId: value[0], deviceId: value[1], prevId: value[2] });
    }
    return out;
  }

  /** Users with at least one change in (after, upTo]. */
  changedUsers(after: number, upTo = Number.MAX_SAFE_INTEGER): Set<string> {
    const users = new Set<string>();
    if (upTo <= after) return users;
    for (const { value } of this.store.dbs.deviceListChanges.getRange({ start: after + 1, end: upTo + 1 })) users.add(value[0]);
    return users;
  }

  /** Called with the latest position after changes commit (wake /sync, kick the outbound sender). */
  onChange(listener: DeviceListListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tell listeners about committed changes; call after the write that recorded them resolved. */
  notify(): void {
    const position = this.position();
    for (const listener of this.listeners) {
      try {
        listener(position);
      } catch (err) {
        log.error({ err }, "device-list listener failed");
      }
    }
  }
}
