/**
 * Devices and their access tokens (client-server API "Relationship between access tokens and
 * devices"): every token belongs to exactly one device, and a device holds at most one token
 * at a time. Logging in again with an existing `device_id` replaces that device's token (the
 * spec: "the server will invalidate any access and refresh tokens previously assigned to that
 * device"); deleting a device deletes its token.
 *
 * Tokens are stored by hash only (secrets.ts explains why SHA-256 suffices).
 */
import { prefixRange } from "../storage/keys.js";
import type { StoredDevice } from "../storage/layouts/accounts.js";
import type { Store } from "../storage/store.js";
import type { WriteBatch } from "../storage/write-batch.js";

export interface DeviceRecord {
  readonly userId: string;
  readonly deviceId: string;
  readonly displayName: string | null;
  readonly createdTs: number;
  readonly lastSeenTs: number | null;
  readonly lastSeenIp: string | null;
}

export interface TokenOwner {
  readonly userId: string;
  readonly deviceId: string;
}

export class DeviceStore {
  constructor(private readonly store: Store) {}

  get(userId: string, deviceId: string): DeviceRecord | undefined {
    const s = this.store.dbs.devices.get([userId, deviceId]);
    return s === undefined ? undefined : toRecord(userId, deviceId, s);
  }

  exists(userId: string, deviceId: string): boolean {
    return this.store.dbs.devices.doesExist([userId, deviceId]);
  }

  /** A user's devices in device ID order. */
  list(userId: string): DeviceRecord[] {
    const out: DeviceRecord[] = [];
    for (const { key, value } of this.store.dbs.devices.getRange(prefixRange([userId]))) {
      if (key.length === 2) out.push(toRecord(userId, key[1], value));
    }
    return out;
  }

  /** Who holds the token with this hash (committed data). */
  ownerOfToken(tokenHash: string): TokenOwner | undefined {
    const s = this.store.dbs.accessTokens.get(tokenHash);
    return s === undefined ? undefined : { userId: s[0], deviceId: s[1] };
  }

  /**
   * Give `deviceId` the token `tokenHash`, creating the device (named `displayName`) if it does
   * not exist, otherwise revoking its previous token. Returns whether the device is new.
   */
  bindToken(w: WriteBatch, userId: string, deviceId: string, tokenHash: string, displayName: string | null, now: number): boolean {
    const existing = w.read("devices", [userId, deviceId]);
    if (existing !== undefined) {
      if (existing[1] !== null) w.remove("accessTokens", existing[1]);
      w.put("devices", [userId, deviceId], [existing[0], tokenHash, existing[2], existing[3], existing[4]]);
    } else {
      w.put("devices", [userId, deviceId], [displayName, tokenHash, now, null, null] satisfies StoredDevice);
    }
    w.put("accessTokens", tokenHash, [userId, deviceId]);
    return existing === undefined;
  }

  /** Set the display name; false if the device does not exist. */
  rename(w: WriteBatch, userId: string, deviceId: string, displayName: string | null): boolean {
    const s = w.read("devices", [userId, deviceId]);
    if (s === undefined) return false;
    w.put("devices", [userId, deviceId], [displayName, s[1], s[2], s[3], s[4]]);
    return true;
  }

  /** Record activity, unless the device was deleted or its token replaced meanwhile. */
  touch(w: WriteBatch, userId: string, deviceId: string, tokenHash: string, ts: number, ip: string): void {
    const s = w.read("devices", [userId, deviceId]);
    if (s === undefined || s[1] !== tokenHash) return;
    w.put("devices", [userId, deviceId], [s[0], s[1], s[2], ts, ip]);
  }

  /** Delete the device and revoke its token; false if it did not exist. */
  remove(w: WriteBatch, userId: string, deviceId: string): boolean {
    const s = w.read("devices", [userId, deviceId]);
    if (s === undefined) return false;
    if (s[1] !== null) w.remove("accessTokens", s[1]);
    w.remove("devices", [userId, deviceId]);
    return true;
  }
}

function toRecord(userId: string, deviceId: string, s: StoredDevice): DeviceRecord {
  return { userId, deviceId, displayName: s[0], createdTs: s[2], lastSeenTs: s[3], lastSeenIp: s[4] };
}
