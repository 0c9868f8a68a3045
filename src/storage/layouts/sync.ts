/**
 * Sub-databases of this domain: /sync and the ephemeral client APIs: stored filters, send-to-device
 * transaction IDs, and the outbound device-list cursor.
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 *
 * Modules: src/client/filters.ts (filters), src/client/ephemeral/send-to-device.ts (transaction
 * IDs), src/client/ephemeral/device-list-publisher.ts (the cursor).
 */
import { db } from "../db-spec.js";

/** Keys of `sync_meta`. */
export type SyncMetaKey = "device_list_outbound_pos";

export const SYNC_LAYOUT = {
  syncFilters: db<[string, number], string>({
    name: "sync_filters",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, filterNumber]; the filter ID the client sees is the decimal number",
    value: "the filter as uploaded and validated (JSON text)",
    writer: "FilterStore (src/client/filters.ts), POST /user/{userId}/filter",
    why: "filter IDs are per user and must resolve on every later /sync (filter.yaml)",
  }),

  syncToDeviceTxns: db<[string, string, string], number>({
    name: "sync_to_device_txns",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, boundedKeyString(deviceId), boundedKeyString(txnId)]",
    value: "when the transaction was first seen (ms)",
    writer: "PUT /sendToDevice/{eventType}/{txnId}",
    why: "a retried request with the same transaction ID must not deliver twice (Transaction identifiers)",
  }),
  syncToDeviceTxnsByAge: db<[number, string, string, string], 1>({
    name: "sync_to_device_txns_by_age",
    encoding: "msgpack",
    readInWrite: false,
    key: "[seenAt, userId, boundedKeyString(deviceId), boundedKeyString(txnId)]",
    value: "1",
    writer: "PUT /sendToDevice, with sync_to_device_txns",
    why: "prune old transaction IDs without a full scan",
  }),

  syncMeta: db<SyncMetaKey, number>({
    name: "sync_meta",
    encoding: "msgpack",
    readInWrite: true,
    key: 'SyncMetaKey: "device_list_outbound_pos"',
    value: "the local device-list stream position whose EDUs are queued (outbound cursor)",
    writer: "DeviceListPublisher, in the write that queues the EDUs",
    why: "after a restart, device-list changes not yet announced to other servers still go out",
  }),
} as const;
