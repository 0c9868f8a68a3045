/**
 * Piscina worker: runs crypto batches off the main thread. Thin by design: every rule lives
 * in src/events/; this file only unpacks a batch, loops, and packs results.
 */
import sodium from "sodium-native";
import { workerData } from "node:worker_threads";
import { getRoomVersion } from "../src/events/room-versions.js";
import { verifyEvent, type ServerKey } from "../src/events/verify-event.js";
import { addEventSignature, signNewEvent } from "../src/events/sign-event.js";
import { checkContentHash, computeEventId, referenceHash } from "../src/events/hashes.js";
import { signJson, signingKeyFromSeed, checkJsonSignature, type SigningKey } from "../src/events/signing-json.js";
import { encodeBase64 } from "../src/events/base64.js";
import type { JsonObject, Pdu } from "../src/events/types.js";
import type {
  CryptoWorkerData,
  EventSource,
  EventVerificationResult,
  HashEventsResult,
  HashEventsTask,
  PasswordHashTask,
  PasswordVerifyTask,
  SignedEvent,
  SignEventsTask,
  SignJsonTask,
  VerifyEventsTask,
  VerifyJsonResult,
  VerifyJsonTask,
} from "../src/crypto/pool-tasks.js";

const data = workerData as CryptoWorkerData | undefined;
const identity: { serverName: string; key: SigningKey } | undefined = data
  ? { serverName: data.serverName, key: signingKeyFromSeed(data.keyId, data.seed) }
  : undefined;

function requireIdentity(): { serverName: string; key: SigningKey } {
  if (!identity) throw new Error("crypto worker started without a signing key");
  return identity;
}

function readEvents(source: EventSource): unknown[] {
  if (source.kind === "objects") return source.pdus as unknown[];
  const text = Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength).toString("utf8");
  const parsed: unknown = JSON.parse(text);
  const list = source.field ? (parsed as Record<string, unknown>)[source.field] : parsed;
  if (!Array.isArray(list)) throw new Error("event source is not an array");
  return source.indices ? source.indices.map((i) => list[i]) : list;
}

export function verifyEvents(task: VerifyEventsTask): EventVerificationResult[] {
  const events = readEvents(task.source);
  const lookup = (serverName: string, keyId: string): ServerKey | undefined => task.keys[serverName]?.[keyId];
  const out: EventVerificationResult[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const version = getRoomVersion(task.versions[i] ?? "");
    const pdu = events[i];
    if (!version || pdu === null || typeof pdu !== "object" || Array.isArray(pdu)) {
      out[i] = failed(version ? "event is not an object" : `unknown room version ${task.versions[i]}`);
      continue;
    }
    try {
      out[i] = verifyEvent(pdu as Pdu, version, lookup);
    } catch (e) {
      out[i] = failed(e instanceof Error ? e.message : String(e));
    }
  }
  return out;
}

function failed(error: string): EventVerificationResult {
  return { eventId: "", signaturesOk: false, contentHashOk: false, missingKeys: [], failures: [], error };
}

export function verifyJson(task: VerifyJsonTask): VerifyJsonResult[] {
  return task.items.map(({ object, signer, keys, contentJson }) => {
    try {
      if (contentJson !== undefined) {
        const text = Buffer.from(contentJson.buffer, contentJson.byteOffset, contentJson.byteLength).toString("utf8");
        object.content = JSON.parse(text) as JsonObject;
      }
      const r = checkJsonSignature(object, signer, (_server, keyId) => keys[keyId]);
      return r.ok ? { ok: true } : { ok: false, reason: r.reason };
    } catch (e) {
      return { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
  });
}

export function signEvents(task: SignEventsTask): SignedEvent[] {
  const { serverName, key } = requireIdentity();
  return task.events.map((ev, i) => {
    const version = getRoomVersion(task.versions[i] ?? "");
    if (!version) throw new Error(`unknown room version ${task.versions[i]}`);
    return signNewEvent(ev, version, serverName, key);
  });
}

export function addEventSignatures(task: SignEventsTask): Pdu[] {
  const { serverName, key } = requireIdentity();
  return task.events.map((ev, i) => {
    const version = getRoomVersion(task.versions[i] ?? "");
    if (!version) throw new Error(`unknown room version ${task.versions[i]}`);
    return addEventSignature(ev, version, serverName, key);
  });
}

export function signJsonObjects(task: SignJsonTask): JsonObject[] {
  const { serverName, key } = requireIdentity();
  return task.objects.map((o) => signJson(o, serverName, key));
}

export function hashEvents(task: HashEventsTask): HashEventsResult[] {
  return task.events.map((ev, i) => {
    const version = getRoomVersion(task.versions[i] ?? "");
    if (!version) throw new Error(`unknown room version ${task.versions[i]}`);
    return {
      eventId: computeEventId(ev, version),
      contentHashOk: checkContentHash(ev, version),
      referenceHash: encodeBase64(referenceHash(ev, version)),
    };
  });
}

export function hashPassword(task: PasswordHashTask): string {
  const out = Buffer.alloc(sodium.crypto_pwhash_STRBYTES);
  sodium.crypto_pwhash_str(out, Buffer.from(task.password, "utf8"), task.opsLimit, task.memLimit);
  const end = out.indexOf(0);
  return out.subarray(0, end < 0 ? out.length : end).toString("ascii");
}

export function verifyPassword(task: PasswordVerifyTask): boolean {
  const str = Buffer.alloc(sodium.crypto_pwhash_STRBYTES);
  const hashBytes = Buffer.from(task.hash, "ascii");
  if (hashBytes.length >= str.length) return false;
  hashBytes.copy(str);
  try {
    return sodium.crypto_pwhash_str_verify(str, Buffer.from(task.password, "utf8"));
  } catch {
    return false;
  }
}

/** A no-op task: the bench measures per-task overhead with it. */
export function ping(n: number): number {
  return n;
}
