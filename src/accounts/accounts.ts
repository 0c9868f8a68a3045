/**
 * Accounts: the one object client handlers, federation handlers and the CLI use for users,
 * devices, access tokens, profiles and end-to-end key material. It owns the stores (one file
 * each) and the operations that span several of them in one atomic write (register, log in,
 * delete devices), and appends to the device-list stream whenever a user's device list
 * changes (server-server API "Device Management": new or deleted devices, display names,
 * keys).
 *
 * Get the server's instance with `accountsOf(app)` (of-app.ts).
 */
import type { CryptoPool } from "../crypto/pool.js";
import { Errors } from "../errors.js";
import { domainOf } from "../events/ids.js";
import type { JsonObject } from "../events/types.js";
import { logger } from "../log.js";
import type { Storage } from "../storage/storage.js";
import type { WriteBatch } from "../storage/write-batch.js";
import { DeviceListStream } from "./device-lists.js";
import { DeviceStore, type DeviceRecord, type TokenOwner } from "./devices.js";
import { CrossSigningKeyStore } from "./e2e/cross-signing-keys.js";
import { DeviceKeyStore } from "./e2e/device-keys.js";
import { FallbackKeyStore } from "./e2e/fallback-keys.js";
import { KeySignatureStore } from "./e2e/key-signatures.js";
import { OneTimeKeyStore } from "./e2e/one-time-keys.js";
import { ProfileStore } from "./profiles.js";
import { hashAccessToken, newAccessToken, newDeviceId, newLocalpart } from "./secrets.js";
import { UserStore } from "./users.js";

/** The crypto-pool operations accounts need (argon2id off the main thread, JSON signatures). */
export type AccountsCrypto = Pick<CryptoPool, "hashPassword" | "verifyPassword" | "verifyJson">;

export interface AccountsOptions {
  readonly storage: Storage;
  readonly crypto: AccountsCrypto;
  readonly serverName: string;
  readonly now?: () => number;
}

/** What a new login session gets. */
export interface LoginSession {
  readonly accessToken: string;
  readonly deviceId: string;
}

export interface SessionOptions {
  /** Reuse this device (its old token is revoked) or create it; generated when absent. */
  readonly deviceId?: string;
  /** Name of a newly created device (ignored for an existing one). */
  readonly displayName?: string;
}

export interface RegisterOptions {
  readonly userId: string;
  /** `null`: an account without a password (cannot log in with m.login.password). */
  readonly password: string | null;
  /** Log the new user in; omitted for `inhibit_login` and the CLI. */
  readonly session?: SessionOptions;
}

/** Longest device ID we accept from a client (the spec sets none; keys must fit LMDB). */
export const MAX_DEVICE_ID_LENGTH = 255;
/** Last-seen timestamps are written at most this often per device. */
const TOUCH_INTERVAL_MS = 5 * 60_000;
const MAX_TOUCH_ENTRIES = 100_000;

export class Accounts {
  readonly serverName: string;
  readonly storage: Storage;
  readonly crypto: AccountsCrypto;
  readonly users: UserStore;
  readonly devices: DeviceStore;
  readonly profiles: ProfileStore;
  readonly deviceKeys: DeviceKeyStore;
  readonly oneTimeKeys: OneTimeKeyStore;
  readonly fallbackKeys: FallbackKeyStore;
  readonly crossSigning: CrossSigningKeyStore;
  readonly signatures: KeySignatureStore;
  readonly deviceLists: DeviceListStream;
  readonly now: () => number;

  private readonly log = logger("accounts");
  /** Token hash → when its device's activity was last written. */
  private readonly touched = new Map<string, number>();
  /** Latest activity per device, ahead of what is stored. */
  private readonly activity = new Map<string, { ts: number; ip: string }>();
  private dummyHash: Promise<string> | undefined;

  constructor(opts: AccountsOptions) {
    const store = opts.storage.store;
    this.serverName = opts.serverName;
    this.storage = opts.storage;
    this.crypto = opts.crypto;
    this.now = opts.now ?? Date.now;
    this.users = new UserStore(store);
    this.devices = new DeviceStore(store);
    this.profiles = new ProfileStore(store);
    this.deviceKeys = new DeviceKeyStore(store);
    this.oneTimeKeys = new OneTimeKeyStore(store);
    this.fallbackKeys = new FallbackKeyStore(store);
    this.crossSigning = new CrossSigningKeyStore(store);
    this.signatures = new KeySignatureStore(store);
    this.deviceLists = new DeviceListStream(store);
  }

  /** Is `userId` one of ours (by its server name; the account may not exist)? */
  isLocal(userId: string): boolean {
    return domainOf(userId) === this.serverName;
  }

  /** A fresh, unused user ID for a registration without a username. */
  generateUserId(): string {
    for (;;) {
      const userId = `@${newLocalpart()}:${this.serverName}`;
      if (!this.users.exists(userId)) return userId;
    }
  }

  /**
   * Create an account (and, unless `session` is omitted, its first device and access token)
   * in one write. The default display name is the localpart, as the member events of a user
   * who never set one should still name them. Throws M_USER_IN_USE if the ID is taken.
   */
  async register(opts: RegisterOptions): Promise<{ userId: string; session?: LoginSession }> {
    const passwordHash = opts.password === null ? null : await this.crypto.hashPassword(opts.password);
    const login = opts.session === undefined ? undefined : this.prepareSession(opts.userId, opts.session);
    const localpart = opts.userId.slice(1, opts.userId.indexOf(":"));
    const now = this.now();
    await this.storage.write((w) => {
      this.users.create(w, opts.userId, passwordHash, now);
      this.profiles.create(w, opts.userId, { displayname: localpart });
      if (login) this.bindSession(w, opts.userId, login, now);
    });
    if (login) this.deviceLists.notify();
    return login ? { userId: opts.userId, session: { accessToken: login.token, deviceId: login.deviceId } } : { userId: opts.userId };
  }

  /**
   * Check a password. Unknown users and accounts without a password cost one argon2id
   * verification too, so response times do not reveal which user IDs exist. (Deactivation is
   * the caller's check, after a correct password, so it is only revealed to the owner.)
   */
  async checkPassword(userId: string, password: string): Promise<boolean> {
    const user = this.users.get(userId);
    if (user === undefined || user.passwordHash === null) {
      this.dummyHash ??= this.crypto.hashPassword(newAccessToken());
      await this.crypto.verifyPassword(password, await this.dummyHash);
      return false;
    }
    return this.crypto.verifyPassword(password, user.passwordHash);
  }

  /** Replace a user's password hash. */
  async setPassword(userId: string, password: string): Promise<void> {
    const hash = await this.crypto.hashPassword(password);
    await this.storage.write((w) => this.users.setPasswordHash(w, userId, hash));
  }

  /** New access token for an existing user, on a new or reused device. */
  async login(userId: string, opts: SessionOptions = {}): Promise<LoginSession> {
    const user = this.users.get(userId);
    if (user === undefined) throw Errors.forbidden("Unknown user");
    if (user.deactivated) throw Errors.userDeactivated();
    const login = this.prepareSession(userId, opts);
    const created = await this.storage.write((w) => this.bindSession(w, userId, login, this.now()));
    if (created) this.deviceLists.notify();
    return { accessToken: login.token, deviceId: login.deviceId };
  }

  /** The owner of an access token, or `undefined` if it is not (or no longer) valid. */
  authenticate(accessToken: string): (TokenOwner & { tokenHash: string }) | undefined {
    const tokenHash = hashAccessToken(accessToken);
    const owner = this.devices.ownerOfToken(tokenHash);
    return owner === undefined ? undefined : { ...owner, tokenHash };
  }

  /**
   * Remember that a device was used (GET /devices `last_seen_ts`, `last_seen_ip`). Written at
   * most every few minutes per device, in the background: a request never waits for it.
   */
  touch(owner: TokenOwner & { tokenHash: string }, ip: string): void {
    const now = this.now();
    if (this.activity.size >= MAX_TOUCH_ENTRIES) this.activity.clear();
    this.activity.set(activityKey(owner.userId, owner.deviceId), { ts: now, ip });
    const last = this.touched.get(owner.tokenHash);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
    if (this.touched.size >= MAX_TOUCH_ENTRIES) this.touched.clear();
    this.touched.set(owner.tokenHash, now);
    this.storage
      .write((w) => this.devices.touch(w, owner.userId, owner.deviceId, owner.tokenHash, now, ip))
      .catch((err: unknown) => this.log.warn({ err, user_id: owner.userId }, "could not record device activity"));
  }

  /** A user's devices, last-seen data as of the latest request (stored copies lag by minutes). */
  listDevices(userId: string): DeviceRecord[] {
    return this.devices.list(userId).map((d) => this.withActivity(d));
  }

  getDevice(userId: string, deviceId: string): DeviceRecord | undefined {
    const d = this.devices.get(userId, deviceId);
    return d === undefined ? undefined : this.withActivity(d);
  }

  private withActivity(d: DeviceRecord): DeviceRecord {
    const seen = this.activity.get(activityKey(d.userId, d.deviceId));
    return seen === undefined || (d.lastSeenTs !== null && d.lastSeenTs >= seen.ts) ? d : { ...d, lastSeenTs: seen.ts, lastSeenIp: seen.ip };
  }

  /** Rename a device; false if it does not exist. A name change is a device-list change. */
  async renameDevice(userId: string, deviceId: string, displayName: string | null): Promise<boolean> {
    const found = await this.storage.write((w) => {
      const existing = w.read("devices", [userId, deviceId]);
      if (existing === undefined) return false;
      if (existing[0] === displayName) return true;
      this.devices.rename(w, userId, deviceId, displayName);
      this.deviceLists.record(w, userId, deviceId);
      return true;
    });
    this.deviceLists.notify();
    return found;
  }

  /**
   * Delete devices with their access tokens and end-to-end keys (logout.yaml: "Device keys for
   * the device are deleted alongside the device"). Unknown device IDs are skipped. Returns the
   * IDs that were deleted.
   */
  async deleteDevices(userId: string, deviceIds: readonly string[]): Promise<string[]> {
    const deleted = await this.storage.write((w) => {
      const out: string[] = [];
      for (const deviceId of new Set(deviceIds)) if (this.deleteDeviceIn(w, userId, deviceId)) out.push(deviceId);
      return out;
    });
    for (const deviceId of deleted) this.activity.delete(activityKey(userId, deviceId));
    if (deleted.length > 0) this.deviceLists.notify();
    return deleted;
  }

  /** `/logout/all`: every device and token of the user. */
  async deleteAllDevices(userId: string): Promise<string[]> {
    return this.deleteDevices(userId, this.devices.list(userId).map((d) => d.deviceId));
  }

  /** One device's removal inside a write: device, token, keys, signatures, a list change. */
  deleteDeviceIn(w: WriteBatch, userId: string, deviceId: string): boolean {
    if (!this.devices.remove(w, userId, deviceId)) return false;
    this.removeKeyMaterial(w, userId, deviceId);
    this.deviceLists.record(w, userId, deviceId);
    return true;
  }

  private removeKeyMaterial(w: WriteBatch, userId: string, deviceId: string): void {
    this.deviceKeys.remove(w, userId, deviceId);
    this.oneTimeKeys.removeDevice(w, userId, deviceId);
    this.fallbackKeys.removeDevice(w, userId, deviceId);
    this.signatures.removeDevice(w, userId, deviceId);
  }

  /** A device's keys as served: the uploaded object, cross-signing signatures merged in. */
  servedDeviceKeys(userId: string, deviceId: string, keys: JsonObject, viewer: string | undefined): JsonObject {
    return this.signatures.merge(keys, userId, deviceId, viewer);
  }

  private prepareSession(userId: string, opts: SessionOptions): { deviceId: string; token: string; displayName: string | null } {
    let deviceId = opts.deviceId;
    if (deviceId !== undefined) {
      if (deviceId.length === 0 || deviceId.length > MAX_DEVICE_ID_LENGTH || deviceId.includes("\u0000")) {
        throw Errors.invalidParam(`device_id must be 1 to ${MAX_DEVICE_ID_LENGTH} characters`);
      }
      // login.yaml: "The given device ID must not be the same as a cross-signing key ID."
      if (this.crossSigning.isKeyId(userId, deviceId)) throw Errors.forbidden("device_id is the ID of a cross-signing key");
    } else {
      do deviceId = newDeviceId();
      while (this.devices.exists(userId, deviceId));
    }
    return { deviceId, token: newAccessToken(), displayName: opts.displayName ?? null };
  }

  /** Bind a prepared session's token to its device; returns whether the device is new. */
  private bindSession(w: WriteBatch, userId: string, s: { deviceId: string; token: string; displayName: string | null }, now: number): boolean {
    const created = this.devices.bindToken(w, userId, s.deviceId, hashAccessToken(s.token), s.displayName, now);
    if (created) {
      // A key upload racing the deletion of an earlier device with this ID can leave keys
      // behind; a new device must not inherit them (clients would claim stale one-time keys).
      this.removeKeyMaterial(w, userId, s.deviceId);
      this.deviceLists.record(w, userId, s.deviceId);
    }
    return created;
  }
}

function activityKey(userId: string, deviceId: string): string {
  return `${userId}\u0000${deviceId}`;
}
