/**
 * "Validating hashes and signatures on received events" (server-server API, "Signing Events";
 * checks 2 and 3 of "Checks performed on receipt of a PDU"; rooms/fragments/
 * v5-signing-requirements.md for key validity).
 *
 * Pure and synchronous: it runs inside piscina workers, many events per task. The redacted
 * canonical bytes are built once per event and serve both as the signed message and as the
 * reference-hash input (the event ID for v3+); the full-event bytes for the content hash are
 * built only when the signatures pass, since a failing event never needs them.
 *
 * Which keys count (spec): signatures from unknown keys are skipped, as is the policy server
 * key (`ed25519:policy_server`, never published; checked elsewhere against `m.room.policy`),
 * and keys known to have expired before `origin_server_ts` (`old_verify_keys`' `expired_ts`).
 * From room v5 a key's `valid_until_ts` must also cover `origin_server_ts`. The caller caps
 * `validUntilTs` at now+7 days when it builds a `ServerKey`.
 */
import { decodeBase64 } from "./base64.js";
import { claimedContentHash, eventHashInputs, eventIdFromReferenceHash, isValidCarriedEventId, sha256 } from "./hashes.js";
import { domainOf, isValidServerName } from "./ids.js";
import type { RoomVersion } from "./room-versions.js";
import { ED25519, verifyDetached } from "./signing-json.js";
import type { JsonValue, Pdu } from "./types.js";

export interface ServerKey {
  key: Uint8Array;
  validUntilTs: number;
  /** For keys from `old_verify_keys`: the key may only verify events older than this. */
  expiredTs?: number;
}

export type ServerKeyLookup = (serverName: string, keyId: string) => ServerKey | undefined;

export interface EventVerification {
  /** Computed (v3+) or carried (v1/v2); `""` when it cannot be determined. */
  eventId: string;
  /** Every required signer has ≥1 valid signature from a known, usable key, and no known
   * usable key's signature fails. */
  signaturesOk: boolean;
  /** Only meaningful when `signaturesOk`; `false` otherwise (the hash is not computed). */
  contentHashOk: boolean;
  /**
   * Keys to fetch before retrying, listed only for required signers that are not yet
   * satisfied and have no failing signature: keys we do not have, and (v5+) keys whose
   * `valid_until_ts` is before the event, which a refetch with `minimum_valid_until_ts` may
   * extend (fragments/v5-signing-requirements.md).
   */
  missingKeys: { serverName: string; keyId: string }[];
  failures: { serverName: string; keyId?: string; reason: string }[];
}

/** The Policy Server signs with this key ID; it is not a published server key. */
export const POLICY_SERVER_KEY_ID = "ed25519:policy_server";

const ED25519_PREFIX = `${ED25519}:`;

/**
 * The servers whose signatures an event needs:
 * - the sender's server, except on an invite made from a third-party invite, which "may be"
 *   sent by a different server (the sender must match the 3pid invite, enforced by the auth
 *   rules via `content.third_party_invite.signed`);
 * - v1/v2: also the server in the `event_id`, when it differs;
 * - v8+ (restricted joins): on a join carrying `content.join_authorised_via_users_server`,
 *   that user's server (it vouched for the join; server-server "Restricted rooms").
 * Unparseable IDs contribute nothing here; the PDU format check rejects them first. So in
 * v3+ a third-party invite can need no signature at all (as in Synapse); its authenticity
 * rests on the identity server's signature in `third_party_invite.signed`, which the auth
 * rules check against the room's `m.room.third_party_invite` keys.
 */
export function requiredSigners(pdu: Pdu, version: RoomVersion): string[] {
  const signers: string[] = [];
  const add = (id: unknown): void => {
    if (typeof id !== "string") return;
    const domain = domainOf(id);
    if (domain !== null && domain !== "" && !signers.includes(domain)) signers.push(domain);
  };
  const content = isObject(pdu.content) ? pdu.content : undefined;
  const isMember = pdu.type === "m.room.member";
  const membership = content?.membership;
  if (!(isMember && membership === "invite" && isObject(content?.third_party_invite))) add(pdu.sender);
  if (version.eventIdServerSigns) add(pdu.event_id);
  if (version.restrictedJoins && isMember && membership === "join") add(content?.join_authorised_via_users_server);
  return signers;
}

export function verifyEvent(pdu: Pdu, version: RoomVersion, keys: ServerKeyLookup): EventVerification {
  const result: EventVerification = {
    eventId: "",
    signaturesOk: false,
    contentHashOk: false,
    missingKeys: [],
    failures: [],
  };

  // Both canonical forms from one pass over the event (see eventHashInputs).
  const inputs = eventHashInputs(pdu, version);
  if (inputs.reference instanceof Error) {
    // Strict canonical JSON (v6+) refuses floats / out-of-range integers: nothing verifies.
    result.failures.push({ serverName: "", reason: `not encodable as canonical JSON: ${errorText(inputs.reference)}` });
    return result;
  }
  const message = inputs.reference;

  if (version.eventIdFormat === "carried") {
    const id = pdu.event_id;
    if (typeof id !== "string" || !isValidCarriedEventId(id)) {
      result.failures.push({ serverName: "", reason: "missing or malformed event_id" });
      return result;
    }
    result.eventId = id;
  } else {
    result.eventId = eventIdFromReferenceHash(sha256(message), version);
  }

  const ts = pdu.origin_server_ts;
  if (typeof ts !== "number" || !Number.isFinite(ts)) {
    result.failures.push({ serverName: "", reason: "origin_server_ts is not a number" });
    return result;
  }

  const signers = requiredSigners(pdu, version);
  const allSignatures = isObject(pdu.signatures) ? pdu.signatures : undefined;
  let ok = true;
  for (const server of signers) {
    if (!checkSigner(server, allSignatures?.[server], message, ts, version, keys, result)) ok = false;
  }
  result.signaturesOk = ok;

  if (ok) {
    const claimed = claimedContentHash(pdu);
    // v6+: a float / out-of-range integer outside the redacted form (e.g. in content) makes
    // the full event unhashable. The format check drops such events first; here it is simply
    // a hash failure.
    result.contentHashOk = claimed !== null && !(inputs.content instanceof Error) && claimed.equals(sha256(inputs.content));
  }
  return result;
}

/** "Checking for a Signature" for one required signer, with the key-usability rules above. */
function checkSigner(
  server: string,
  sigs: JsonValue | undefined,
  message: Buffer,
  ts: number,
  version: RoomVersion,
  keys: ServerKeyLookup,
  result: EventVerification,
): boolean {
  if (!isValidServerName(server)) {
    result.failures.push({ serverName: server, reason: "required signer is not a valid server name" });
    return false;
  }
  if (!isObject(sigs)) {
    result.failures.push({ serverName: server, reason: "no signatures from required signer" });
    return false;
  }
  let verified = 0;
  let sawEd25519 = false;
  const fetchable: string[] = [];
  // Why keys were passed over; reported only if the signer ends up unsatisfied.
  const skipped: { serverName: string; keyId: string; reason: string }[] = [];
  const bad: { serverName: string; keyId: string; reason: string }[] = [];
  for (const keyId in sigs) {
    if (!keyId.startsWith(ED25519_PREFIX)) continue; // algorithms we don't understand: step 2
    if (keyId === POLICY_SERVER_KEY_ID) continue;
    sawEd25519 = true;
    const key = keys(server, keyId);
    if (!key) {
      fetchable.push(keyId);
      skipped.push({ serverName: server, keyId, reason: "unknown key" });
      continue;
    }
    if (key.expiredTs !== undefined && key.expiredTs < ts) {
      skipped.push({ serverName: server, keyId, reason: "key expired before origin_server_ts" });
      continue;
    }
    if (version.enforceKeyValidity && key.validUntilTs < ts) {
      fetchable.push(keyId);
      skipped.push({ serverName: server, keyId, reason: "key valid_until_ts is before origin_server_ts" });
      continue;
    }
    const sig = sigs[keyId];
    if (typeof sig !== "string") {
      bad.push({ serverName: server, keyId, reason: "signature is not a string" });
    } else if (verifyDetached(message, sig, key.key)) {
      verified++;
    } else {
      const reason = decodeBase64(sig) === null ? "signature is not valid base64" : "signature does not verify";
      bad.push({ serverName: server, keyId, reason });
    }
  }
  if (bad.length > 0) {
    // "Checking for a Signature" step 7: one failing check fails the signer, whatever else
    // verified; fetching keys cannot repair it.
    result.failures.push(...bad);
    return false;
  }
  if (verified > 0) return true;
  if (!sawEd25519) {
    result.failures.push({ serverName: server, reason: "no ed25519 signature from required signer" });
    return false;
  }
  result.failures.push(...skipped);
  for (const keyId of fetchable) result.missingKeys.push({ serverName: server, keyId });
  return false;
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
