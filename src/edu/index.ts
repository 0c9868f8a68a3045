/**
 * EDU-borne state: typing, receipts, presence, remote device lists and cross-signing keys,
 * to-device inboxes. Written by inbound federation EDUs (src/edu/inbound/, called from
 * PUT /send) and, later, by the client API for local users; read by /sync and /keys/query.
 *
 * Getting the services: `eduServices(app)` (one instance per App, created on first use).
 *
 * Streams. Each store has its own stream with a monotonically increasing position:
 *
 * | store                     | `position`      | "what changed since pos"                              |
 * |---------------------------|-----------------|-------------------------------------------------------|
 * | `typing` (memory)         | resets at start | `since(pos)` → rooms with their current typing users  |
 * | `receipts` (LMDB)         | persisted       | `since(pos, limit)` → receipt entries, latest state   |
 * | `presence` (memory+LMDB)  | persisted       | `since(pos, limit)` → users' latest presence          |
 * | `toDevice` (LMDB)         | persisted       | `since(userId, deviceId, pos, limit)` → inbox, then   |
 * |                           |                 | `deleteUpTo(userId, deviceId, pos)` once delivered    |
 * | `deviceLists` (LMDB)      | persisted       | `since(pos, limit)` → users whose devices/keys changed|
 *
 * `position` is the highest committed position: a /sync `next_batch` may name it, and a
 * `since(pos)` with that pos returns nothing until something new commits. A typing position
 * greater than `typing.position` predates a restart: read it as 0.
 *
 * Waiting. `notifier.onChange(listener)` or `notifier.waitFor(filter, timeoutMs, signal)`:
 * every change is announced once, after it is visible to `since`, as
 * `{stream, pos, roomId? | userId?, deviceId?}`. Read positions first, then wait, then read
 * again (a change between the two is caught by comparing positions).
 *
 * Other reads: `typing.usersIn(roomId)`, `receipts.forRoom(roomId)` / `receiptEventContent`
 * (the client m.receipt content shape), `presence.get(userId)`, `deviceLists.devices(userId)`,
 * `deviceLists.crossSigningKeys(userId)`, `deviceLists.state(userId)`,
 * `resync.ensureFresh(userId)` (fetch a stale remote list on demand).
 *
 * Local devices. A to-device message addressed to device `*` goes to every device of the
 * user, which only the accounts module knows: it plugs in with
 * `setLocalDeviceDirectory({devicesOf(userId)})`. Until then `*` reaches no device, and
 * messages to a named device are delivered to that device's inbox as addressed.
 */
import type { App } from "../app.js";
import { logger } from "../log.js";
import type { Storage } from "../storage/storage.js";
import { DeviceListResyncer, type DeviceListTransport } from "./device-list-resync.js";
import { RemoteDeviceLists } from "./device-lists.js";
import { EduNotifier } from "./notifier.js";
import { PresenceStore } from "./presence.js";
import { ReceiptStore } from "./receipts.js";
import { ToDeviceInbox } from "./to-device.js";
import { TypingStore } from "./typing.js";

export type { EduChange, EduChangeListener, EduStreamName } from "./notifier.js";
export { EduNotifier } from "./notifier.js";
export { TypingStore, DEFAULT_TYPING_TIMEOUT_MS, type TypingChange } from "./typing.js";
export { ReceiptStore, receiptEventContent, type ReceiptEntry, type ReceiptUpdate } from "./receipts.js";
export { PresenceStore, isPresenceState, presenceContent, type PresenceEntry, type PresenceState, type PresenceUpdate } from "./presence.js";
export { RemoteDeviceLists, type CrossSigningKeys, type DeviceListUpdate, type RemoteDevice } from "./device-lists.js";
export { DeviceListResyncer } from "./device-list-resync.js";
export { ToDeviceInbox, type Delivery, type InboxMessage, type ToDeviceMessage } from "./to-device.js";

/** Which devices a local user has (the accounts module implements this). */
export interface LocalDeviceDirectory {
  /** The user's device IDs, or undefined when there is no such local user. */
  devicesOf(userId: string): readonly string[] | undefined;
}

const PRUNE_INTERVAL_MS = 3600_000;

export class EduServices {
  readonly notifier = new EduNotifier();
  readonly typing: TypingStore;
  readonly receipts: ReceiptStore;
  readonly presence: PresenceStore;
  readonly deviceLists: RemoteDeviceLists;
  readonly toDevice: ToDeviceInbox;
  readonly resync: DeviceListResyncer;
  private directory: LocalDeviceDirectory | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(storage: Storage, transport: DeviceListTransport) {
    this.typing = new TypingStore(this.notifier);
    this.receipts = new ReceiptStore(storage, this.notifier);
    this.presence = new PresenceStore(storage, this.notifier);
    this.deviceLists = new RemoteDeviceLists(storage, this.notifier);
    this.toDevice = new ToDeviceInbox(storage, this.notifier);
    this.resync = new DeviceListResyncer(this.deviceLists, transport, logger("edu.device-lists"));
    const log = logger("edu");
    this.pruneTimer = setInterval(() => {
      if (storage.store.isClosed) return;
      this.toDevice.pruneDedup().catch((err: unknown) => log.warn({ err }, "to-device dedup prune failed"));
    }, PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  get localDevices(): LocalDeviceDirectory | undefined {
    return this.directory;
  }

  setLocalDeviceDirectory(directory: LocalDeviceDirectory): void {
    this.directory = directory;
  }

  close(): void {
    this.typing.close();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
  }
}

const byApp = new WeakMap<object, EduServices>();

/** The EDU services of `app` (created on first use; one per App). */
export function eduServices(app: Pick<App, "storage" | "federation">): EduServices {
  let s = byApp.get(app);
  if (!s) byApp.set(app, (s = new EduServices(app.storage, app.federation)));
  return s;
}
