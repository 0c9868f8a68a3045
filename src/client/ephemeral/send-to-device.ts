/**
 * PUT /sendToDevice/{eventType}/{txnId} (client-server "Send-to-Device messaging"): body
 * `{messages: {user_id: {device_id | "*": content}}}`; `*` means every device of the user.
 *
 * - Local recipients: into their devices' inboxes (src/edu/to-device.ts), read by /sync
 *   `to_device`. Devices that do not exist are skipped, as are unknown local users.
 * - Remote recipients: one `m.direct_to_device` EDU per destination server
 *   (server-server-api.md "Send-to-device messaging"), `message_id` unique per EDU (the
 *   receiver's idempotence key) and at most 32 characters.
 * - Idempotent per (device, event type, txnId) ("Transaction identifiers"): the transaction is
 *   recorded in the same event turn as the inbox and EDU queue writes, so all three land in one
 *   LMDB commit (store.ts: writes queued in one turn share a transaction) and a retry after a
 *   crash either finds the record or finds nothing delivered.
 */
import crypto from "node:crypto";
import { accountsOf } from "../../accounts/of-app.js";
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { eduServices, type Delivery } from "../../edu/index.js";
import { domainOf, isHistoricalUserId } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import { json, type Handler } from "../../http/request.js";
import { logger } from "../../log.js";
import { boundedKeyString } from "../../storage/keys.js";
import { requireClient } from "../auth/authenticator.js";
import { queueEduSafely } from "./destinations.js";
import { isJsonObject } from "../../json.js";

const ALL_DEVICES = "*";
const TXN_RETENTION_MS = 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
const PRUNE_BATCH = 1000;
const log = logger("client.send-to-device");

export function sendToDeviceHandler(app: App): Handler {
  const accounts = accountsOf(app);
  const inbox = eduServices(app).toDevice;
  const inflight = new Map<string, Promise<void>>();
  let lastPrune = Date.now();

  const send = async (sender: string, senderDevice: string, type: string, key: [string, string, string], messages: JsonObject): Promise<void> => {
    if (app.storage.store.dbs.syncToDeviceTxns.get(key) !== undefined) return;
    const local: Delivery[] = [];
    const remote = new Map<string, JsonObject>();
    for (const [userId, byDevice] of Object.entries(messages)) {
      if (!isHistoricalUserId(userId) || !isJsonObject(byDevice)) throw Errors.badJson("messages must map user IDs to objects of device IDs");
      const server = domainOf(userId)!;
      if (server !== app.serverName) {
        const forServer = remote.get(server) ?? {};
        forServer[userId] = byDevice;
        remote.set(server, forServer);
        continue;
      }
      if (!accounts.users.exists(userId)) continue;
      const devices = accounts.devices.list(userId).map((d) => d.deviceId);
      for (const [deviceId, content] of Object.entries(byDevice)) {
        if (!isJsonObject(content)) throw Errors.badJson("to-device message content must be an object");
        const targets = deviceId === ALL_DEVICES ? devices : devices.includes(deviceId) ? [deviceId] : [];
        for (const target of targets) local.push({ userId, deviceId: target, message: { sender, type, content } });
      }
    }
    const now = Date.now();
    const writes: Promise<unknown>[] = [
      app.storage.write((w) => {
        w.put("syncToDeviceTxns", key, now);
        w.put("syncToDeviceTxnsByAge", [now, ...key], 1);
      }),
    ];
    if (local.length > 0) writes.push(inbox.deliver(local));
    for (const [server, forServer] of remote) {
      const content: JsonObject = { sender, type, message_id: crypto.randomBytes(12).toString("base64url"), messages: forServer };
      writes.push(queueEduSafely(app, [server], "m.direct_to_device", content));
    }
    await Promise.all(writes);
    log.debug({ user_id: sender, device_id: senderDevice, local: local.length, servers: remote.size }, "to-device messages sent");
  };

  const prune = async (): Promise<void> => {
    const before = Date.now() - TXN_RETENTION_MS;
    const keys = [...app.storage.store.dbs.syncToDeviceTxnsByAge.getKeys({ end: [before], limit: PRUNE_BATCH })];
    if (keys.length === 0) return;
    await app.storage.write((w) => {
      for (const k of keys) {
        w.remove("syncToDeviceTxnsByAge", k);
        w.remove("syncToDeviceTxns", [k[1], k[2], k[3]]);
      }
    });
  };

  return async (req) => {
    const auth = requireClient(req);
    const { eventType, txnId } = req.params as { eventType: string; txnId: string };
    const messages = (req.body as JsonObject).messages;
    if (!isJsonObject(messages)) throw Errors.badJson("messages must be an object");
    const key: [string, string, string] = [auth.userId, boundedKeyString(auth.deviceId), boundedKeyString(`${eventType}\u0000${txnId}`)];
    const flight = key.join("\u0000");
    let p = inflight.get(flight);
    if (p === undefined) {
      p = send(auth.userId, auth.deviceId, eventType, key, messages).finally(() => inflight.delete(flight));
      inflight.set(flight, p);
    }
    await p;
    if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = Date.now();
      prune().catch((err: unknown) => log.warn({ err }, "pruning to-device transaction IDs failed"));
    }
    return json({});
  };
}

