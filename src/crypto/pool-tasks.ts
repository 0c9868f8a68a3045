/**
 * The wire contract between the crypto pool façade (src/crypto/pool.ts) and its workers
 * (workers/crypto-worker.ts). One task is one batch; every op is a named export of the worker.
 *
 * Keys travel as raw 32-byte arrays, events either as objects (structured clone) or as one
 * UTF-8 JSON buffer that is transferred, not copied (see `EventSource`).
 */
import type { JsonObject, Pdu } from "../events/types.js";
import type { EventJson } from "../events/redaction.js";
import type { EventVerification } from "../events/verify-event.js";

export interface WireServerKey {
  key: Uint8Array;
  validUntilTs: number;
  /** Set for keys from `old_verify_keys`: usable only for events older than this. */
  expiredTs?: number;
}

/** `{serverName: {keyId: key}}` — every key the batch may need. */
export type WireKeyMap = Record<string, Record<string, WireServerKey>>;

/**
 * Where the events of a batch come from. `objects` structured-clones the parsed PDUs;
 * `json` transfers one buffer holding either a JSON array of PDUs or an object whose `field`
 * is that array (a `/send` body: field "pdus"), which the worker parses itself.
 */
export type EventSource =
  | { kind: "objects"; pdus: readonly Pdu[] }
  | {
      kind: "json";
      bytes: Uint8Array;
      field?: string;
      indices?: readonly number[];
      /** Hand the buffer to the worker (zero-copy; the caller must not use it afterwards). */
      transfer?: boolean;
    };

export interface VerifyEventsTask {
  source: EventSource;
  /** Room version per event (same order as the source after `indices` selection). */
  versions: readonly string[];
  keys: WireKeyMap;
}

/** `verifyEvent`'s answer, or `error` when the event could not even be examined. */
export type EventVerificationResult = EventVerification & { error?: string };

export interface VerifyJsonItem {
  object: JsonObject;
  signer: string;
  keys: Record<string, Uint8Array>;
  /**
   * JSON bytes the worker parses and sets as `object.content` before checking (an X-Matrix
   * request's body): copying bytes costs the main thread less than cloning the parsed body.
   */
  contentJson?: Uint8Array;
}

export interface VerifyJsonTask {
  items: VerifyJsonItem[];
}

export interface VerifyJsonResult {
  ok: boolean;
  reason?: string;
}

export interface SignEventsTask {
  events: EventJson[];
  versions: readonly string[];
}

/** A newly signed event with its ID. */
export interface SignedEvent {
  pdu: Pdu;
  eventId: string;
}

export interface SignJsonTask {
  objects: JsonObject[];
}

export interface HashEventsTask {
  events: EventJson[];
  versions: readonly string[];
}

export interface HashEventsResult {
  eventId: string;
  contentHashOk: boolean;
  /** Unpadded base64 reference hash (for v1/v2 `[id, {sha256}]` references). */
  referenceHash: string;
}

export interface PasswordHashTask {
  password: string;
  opsLimit: number;
  memLimit: number;
}

export interface PasswordVerifyTask {
  password: string;
  hash: string;
}

/** What the worker is told once, at start: who we are and how to sign. */
export interface CryptoWorkerData {
  serverName: string;
  keyId: string;
  seed: Uint8Array;
}
