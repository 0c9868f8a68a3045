/**
 * Receipt checks 1–3, before any room state is involved (server-server-api.md "Checks performed
 * on receipt of a PDU"; "Validating hashes and signatures on received events"):
 *
 *   1. valid format for the room version (src/events/pdu-format.ts), else dropped;
 *   2. signatures of every required signer valid, else dropped;
 *   3. content hash valid, else the event is redacted and processed in its redacted form.
 *
 * One call handles a whole batch (a /send transaction, a send_join response's state and auth
 * chain): the keys every event needs are fetched together (coalesced per server by the key
 * ring), then all signatures and hashes are checked in one crypto-pool batch.
 *
 * Every ingress (/send, the handshakes, backfill, get_missing_events, our own joins) uses this,
 * so "verified" means the same thing everywhere.
 */
import { toRoomEvent } from "../../events/event.js";
import { checkPduFormat } from "../../events/pdu-format.js";
import { redact } from "../../events/redaction.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { Pdu, RoomEvent } from "../../events/types.js";
import { requiredSigners } from "../../events/verify-event.js";
import type { CryptoPool, EventVerificationResult, WireKeyMap } from "../../crypto/pool.js";

/** The key source verification needs (the server's KeyRing). */
export interface VerificationKeys {
  ensureKeys(requests: readonly { serverName: string; keyId: string; minimumValidUntilTs: number }[]): Promise<void>;
  wireKeys(pairs: Iterable<{ readonly serverName: string; readonly keyId: string }>): WireKeyMap;
}

export interface CheckDeps {
  readonly pool: Pick<CryptoPool, "verifyEvents">;
  readonly keys: VerificationKeys;
}

export interface UncheckedPdu {
  readonly raw: unknown;
  readonly version: RoomVersion;
  /** The room the event must belong to, when the caller knows it (path parameter, request). */
  readonly roomId?: string;
  /** Index of this event in `CheckOptions.source`'s array, when the caller gives a source. */
  readonly sourceIndex?: number;
}

export type PduCheck =
  | {
      readonly ok: true;
      readonly event: RoomEvent;
      /** The content hash did not match: `event` is the redacted copy (check 3). */
      readonly redacted: boolean;
    }
  | { readonly ok: false; readonly eventId: string | undefined; readonly reason: string };

export interface CheckOptions {
  /** Backfill responses must not be rejected for prev/auth event counts (backfill.yaml). */
  readonly relaxCounts?: boolean;
  /**
   * The JSON the items were parsed from (e.g. a /send body with the PDUs at `field`). With it,
   * and a `sourceIndex` on every item, the pool parses the events from these bytes itself:
   * copying bytes is cheaper for the main thread than structured-cloning object graphs.
   */
  readonly source?: { readonly bytes: Uint8Array; readonly field: string };
}

export async function checkFormatAndSignatures(deps: CheckDeps, items: readonly UncheckedPdu[], opts: CheckOptions = {}): Promise<PduCheck[]> {
  const out: (PduCheck | undefined)[] = new Array(items.length);
  const pdus: Pdu[] = [];
  const versions: string[] = [];
  const index: number[] = [];
  const sourceIndices: number[] = [];
  const needed = new Map<string, { serverName: string; keyId: string; minimumValidUntilTs: number }>();

  items.forEach((item, i) => {
    // 1. format
    const format = checkPduFormat(item.raw, item.version, opts.relaxCounts ? { relaxCounts: true } : undefined);
    if (!format.ok) {
      out[i] = { ok: false, eventId: carriedId(item.raw), reason: `invalid event: ${format.reason}` };
      return;
    }
    const pdu = format.pdu;
    if (item.roomId !== undefined && pdu.room_id !== undefined && pdu.room_id !== item.roomId) {
      out[i] = { ok: false, eventId: carriedId(item.raw), reason: `event is for room ${pdu.room_id}, not ${item.roomId}` };
      return;
    }
    for (const server of requiredSigners(pdu, item.version)) {
      for (const keyId of Object.keys(pdu.signatures[server] ?? {})) {
        const minimum = item.version.enforceKeyValidity ? pdu.origin_server_ts : 0;
        const k = `${server}\u0000${keyId}`;
        const prev = needed.get(k);
        if (!prev || prev.minimumValidUntilTs < minimum) needed.set(k, { serverName: server, keyId, minimumValidUntilTs: minimum });
      }
    }
    pdus.push(pdu);
    versions.push(item.version.id);
    index.push(i);
    if (item.sourceIndex !== undefined) sourceIndices.push(item.sourceIndex);
  });

  if (pdus.length > 0) {
    await deps.keys.ensureKeys([...needed.values()]);
    const fromBytes = opts.source !== undefined && sourceIndices.length === pdus.length;
    const results = await deps.pool.verifyEvents(
      fromBytes ? { kind: "json", bytes: opts.source!.bytes, field: opts.source!.field, indices: sourceIndices } : { kind: "objects", pdus },
      versions,
      deps.keys.wireKeys(needed.values()),
    );
    results.forEach((r, j) => {
      out[index[j]!] = conclude(pdus[j]!, items[index[j]!]!, r);
    });
  }
  return out as PduCheck[];
}

function conclude(pdu: Pdu, item: UncheckedPdu, r: EventVerificationResult): PduCheck {
  // 2. signatures
  if (r.error !== undefined) return { ok: false, eventId: r.eventId || carriedId(pdu), reason: `cannot verify: ${r.error}` };
  if (!r.signaturesOk) {
    const why = r.failures.map((f) => `${f.serverName}${f.keyId ? ` ${f.keyId}` : ""}: ${f.reason}`).join("; ");
    const missing = r.missingKeys.map((k) => `${k.serverName} ${k.keyId}`).join(", ");
    return { ok: false, eventId: r.eventId, reason: `bad signatures: ${why || (missing ? `no key for ${missing}` : "unsigned")}` };
  }
  // 3. hashes
  const redacted = !r.contentHashOk;
  const finalPdu = redacted ? (redact(pdu, item.version) as Pdu) : pdu;
  try {
    return { ok: true, event: toRoomEvent(finalPdu, item.version, r.eventId, item.roomId), redacted };
  } catch (e) {
    return { ok: false, eventId: r.eventId, reason: e instanceof Error ? e.message : String(e) };
  }
}

function carriedId(raw: unknown): string | undefined {
  if (raw && typeof raw === "object" && typeof (raw as { event_id?: unknown }).event_id === "string") {
    return (raw as { event_id: string }).event_id;
  }
  return undefined;
}
