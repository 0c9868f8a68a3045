/**
 * Hashing and signing outgoing events (server-server API "Adding hashes and signatures to
 * outgoing events"): content hash into `hashes.sha256`, redact, sign the redacted form as in
 * appendices "Signing JSON", copy the signature back onto the full event.
 */
import { encodeBase64 } from "./base64.js";
import { computeEventId, contentHash, eventIdFromReferenceHash, referenceHashInput, sha256 } from "./hashes.js";
import type { EventJson } from "./redaction.js";
import type { RoomVersion } from "./room-versions.js";
import { signDetached, type SigningKey } from "./signing-json.js";
import type { Pdu, Signatures } from "./types.js";

/**
 * Hash and sign `event` as `signingName`. Returns a new PDU; the input is not mutated.
 * `hashes` is replaced (the content hash excludes any previous value), signatures already on
 * the event from other servers are kept alongside ours, and `unsigned` is carried over as is.
 */
export function hashAndSignEvent(event: EventJson, version: RoomVersion, signingName: string, key: SigningKey): Pdu {
  return hashAndSign(event, version, signingName, key).pdu;
}

/**
 * `hashAndSignEvent`, also giving the new event's ID. The signed bytes are the reference-hash
 * input, so a v3+ ID comes from hashing them once more, not from building them again.
 */
export function signNewEvent(event: EventJson, version: RoomVersion, signingName: string, key: SigningKey): { pdu: Pdu; eventId: string } {
  const { pdu, signed } = hashAndSign(event, version, signingName, key);
  const eventId = version.eventIdFormat === "carried" ? computeEventId(pdu, version) : eventIdFromReferenceHash(sha256(signed), version);
  return { pdu, eventId };
}

function hashAndSign(event: EventJson, version: RoomVersion, signingName: string, key: SigningKey): { pdu: Pdu; signed: Buffer } {
  const hashed = { ...event, hashes: { sha256: encodeBase64(contentHash(event, version)) } } as Pdu;
  const signed = referenceHashInput(hashed, version);
  return { pdu: withSignature(hashed, signingName, key, signed), signed };
}

/**
 * Add our signature to an event that is already hashed, without touching `hashes`: for
 * counter-signing another server's event (the resident server on a restricted `send_join`,
 * the invitee's server on `/invite`). Other signatures are kept.
 */
export function addEventSignature(pdu: EventJson, version: RoomVersion, signingName: string, key: SigningKey): Pdu {
  // The signed bytes are the reference-hash input: redacted, without signatures/unsigned.
  return withSignature(pdu, signingName, key, referenceHashInput(pdu, version));
}

function withSignature(pdu: EventJson, signingName: string, key: SigningKey, signedBytes: Uint8Array): Pdu {
  const signature = signDetached(signedBytes, key.secretKey);
  const existing = isSignatures(pdu.signatures) ? pdu.signatures : {};
  const signatures: Signatures = { ...existing, [signingName]: { ...(existing[signingName] ?? {}), [key.keyId]: signature } };
  return { ...pdu, signatures } as Pdu;
}

function isSignatures(value: unknown): value is Signatures {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
