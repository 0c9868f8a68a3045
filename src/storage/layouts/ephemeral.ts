/**
 * Sub-databases of this domain: EDU-borne data: receipts, presence, remote device lists, to-device inboxes.
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 *
 * Every stream here has its own position counter (`edu_counters`) and its rows in one table
 * (`edu_streams`, keyed by stream then position); the counter is persisted with each write
 * that allocates, so positions never go backwards across restarts even when old stream rows
 * are deleted (superseded receipts, acknowledged to-device messages). Typing has no table: it
 * lives in memory only (src/edu/typing.ts).
 *
 * Strings the spec does not bound (device IDs, receipt types, thread IDs, message IDs) go into
 * keys through `boundedKeyString` (keys.ts); where a reader needs the original back, the value
 * carries it.
 */
import { db } from "../db-spec.js";

/** The EDU streams with a persisted position counter. */
export type EduCounterName = "receipts" | "presence" | "to_device" | "device_lists";

/** [pos, eventIds, dataJson, receiptType, threadId or null] */
export type StoredReceipt = [pos: number, eventIds: string[], dataJson: string, receiptType: string, threadId: string | null];

/** [roomId, receiptTypeKey, userId, threadKey] (the receipts key; "" thread key = unthreaded) */
export type ReceiptKey = [roomId: string, receiptTypeKey: string, userId: string, threadKey: string];

/** A stream row: the receipts key, or the user whose presence or device list changed. */
export type EduStreamRow = ReceiptKey | string;

/** [pos, presence, statusMsg, lastActiveTs, currentlyActive, updatedAt] */
export type StoredPresence = [
  pos: number,
  presence: string,
  statusMsg: string | null,
  lastActiveTs: number,
  currentlyActive: boolean,
  updatedAt: number,
];

/** [lastStreamId, stale, recentStreamIds, changePos, updatedAt] */
export type StoredDeviceList = [lastStreamId: number | null, stale: boolean, recentStreamIds: number[], changePos: number, updatedAt: number];

/** [deviceId, displayName, keysJson] */
export type StoredRemoteDevice = [deviceId: string, displayName: string | null, keysJson: string | null];

/** [sender, type, contentJson, origin or null (null = local sender)] */
export type StoredToDevice = [sender: string, type: string, contentJson: string, origin: string | null];

export const EPHEMERAL_LAYOUT = {
  eduCounters: db<EduCounterName, number>({
    name: "edu_counters",
    encoding: "msgpack",
    readInWrite: false,
    key: 'EduCounterName: "receipts" | "presence" | "to_device" | "device_lists"',
    value: "the last position allocated on that stream",
    writer: "EDU stores (src/edu/stream-counter.ts), in the write that allocates",
    why: "stream positions survive restarts and never repeat, even after stream rows are deleted",
  }),

  eduStreams: db<[EduCounterName, number], EduStreamRow>({
    name: "edu_streams",
    encoding: "msgpack",
    readInWrite: false,
    key: '[stream, position] for the streams "receipts", "presence", "device_lists"',
    value: "receipts: the ReceiptKey updated; presence and device_lists: the userId that changed",
    writer: "ReceiptStore, PresenceStore, RemoteDeviceLists, each with its own rows; a row is removed when superseded",
    why: "/sync: what changed since a position, in one range scan per stream",
  }),

  receipts: db<ReceiptKey, StoredReceipt>({
    name: "edu_receipts",
    encoding: "msgpack",
    readInWrite: true,
    key: "[roomId, boundedKeyString(receiptType), userId, boundedKeyString(threadId) or '' when unthreaded]",
    value: "StoredReceipt tuple; dataJson is the receipt's `data` object as received (JSON text)",
    writer: "ReceiptStore (src/edu/receipts.ts): inbound m.receipt EDUs, local receipts",
    why: "the latest receipt per room, type, user and thread (m.receipt: update only the entries present)",
  }),

  presence: db<string, StoredPresence>({
    name: "edu_presence",
    encoding: "msgpack",
    readInWrite: true,
    key: "userId",
    value: "StoredPresence tuple (last state)",
    writer: "PresenceStore (src/edu/presence.ts)",
    why: "a user's last known presence survives restarts",
  }),

  remoteDeviceLists: db<string, StoredDeviceList>({
    name: "edu_remote_device_lists",
    encoding: "msgpack",
    readInWrite: true,
    key: "userId (a remote user)",
    value: "StoredDeviceList tuple: the m.device_list_update sequence position and staleness",
    writer: "RemoteDeviceLists (src/edu/device-lists.ts): EDUs and resyncs",
    why: "recognise prev_id gaps (server-server-api.md Device Management) and mark lists for resync",
  }),
  remoteDevices: db<[string, string], StoredRemoteDevice>({
    name: "edu_remote_devices",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, boundedKeyString(deviceId)]",
    value: "StoredRemoteDevice tuple; keysJson is the device_keys object as received",
    writer: "RemoteDeviceLists",
    why: "the cached device list of a remote user (/keys/query, to-device fan-out)",
  }),
  remoteCrossSigningKeys: db<[string, string], string>({
    name: "edu_remote_cross_signing_keys",
    encoding: "msgpack",
    readInWrite: false,
    key: '[userId, usage] with usage "master" | "self_signing"',
    value: "the cross-signing key object as received (JSON text)",
    writer: "RemoteDeviceLists (m.signing_key_update, resyncs)",
    why: "remote users' master and self-signing keys (/keys/query)",
  }),

  toDeviceInbox: db<[string, string, number], StoredToDevice>({
    name: "edu_to_device_inbox",
    encoding: "msgpack",
    readInWrite: false,
    key: "[userId, boundedKeyString(deviceId), to_device stream position]",
    value: "StoredToDevice tuple; contentJson is the message content as received",
    writer: "ToDeviceInbox (src/edu/to-device.ts): inbound m.direct_to_device; /sync deletes acknowledged rows",
    why: "per-device inbox, read in order from a position and deleted once the device has seen it",
  }),
  toDeviceDedup: db<[string, string], number>({
    name: "edu_to_device_dedup",
    encoding: "msgpack",
    readInWrite: true,
    key: "[origin, boundedKeyString(message_id)]",
    value: "receivedAt (ms)",
    writer: "ToDeviceInbox",
    why: "m.direct_to_device message_id is 'used for idempotence': a message is delivered once",
  }),
  toDeviceDedupByAge: db<[number, string, string], 1>({
    name: "edu_to_device_dedup_by_age",
    encoding: "msgpack",
    readInWrite: false,
    key: "[receivedAt, origin, boundedKeyString(message_id)]",
    value: "1",
    writer: "ToDeviceInbox, with edu_to_device_dedup",
    why: "prune old message IDs without a full scan",
  }),
} as const;
