/**
 * Inbound EDUs of a /send transaction (server-server-api.md "EDUs" and the EDU sections that
 * follow it). Unknown `edu_type`s are ignored, as is any EDU whose content does not match its
 * schema or that speaks for a user of another server: EDUs are best-effort, and one bad EDU
 * must not cost the sender its whole transaction.
 *
 * Ordering: every handler validates synchronously and starts its store write before the next
 * EDU is looked at, so the writes are queued (and commit) in transaction order, mostly in one
 * LMDB commit; `handleEdus` resolves once all of them are durable. A storage failure rejects
 * (the transaction then fails and the sender retries it).
 */
import type { JsonObject } from "../../events/types.js";
import { type EduHandler, type InboundEduContext } from "./context.js";
import { handleDeviceListUpdate } from "./device-list-update.js";
import { handleDirectToDevice } from "./direct-to-device.js";
import { handlePresence } from "./presence.js";
import { handleReceipt } from "./receipt.js";
import { handleSigningKeyUpdate } from "./signing-key-update.js";
import { handleTyping } from "./typing.js";
import { isJsonObject } from "../../json.js";

export type { InboundEduContext } from "./context.js";

export interface Edu {
  readonly edu_type: string;
  readonly content: JsonObject;
}

const HANDLERS: ReadonlyMap<string, EduHandler> = new Map([
  ["m.typing", handleTyping],
  ["m.receipt", handleReceipt],
  ["m.presence", handlePresence],
  ["m.device_list_update", handleDeviceListUpdate],
  ["m.signing_key_update", handleSigningKeyUpdate],
  ["m.direct_to_device", handleDirectToDevice],
]);

export async function handleEdus(ctx: InboundEduContext, edus: readonly Edu[]): Promise<void> {
  const writes: Promise<unknown>[] = [];
  for (const edu of edus) {
    const handler = HANDLERS.get(edu.edu_type);
    if (!handler || !isJsonObject(edu.content)) continue;
    const started = handler(ctx, edu.content);
    if (started) writes.push(started);
  }
  await Promise.all(writes);
}
