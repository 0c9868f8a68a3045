/**
 * Receipt check 7 (Matrix 1.18, server-server-api.md "Policy Servers"): in a room that uses a
 * Policy Server, an event without a valid PS signature is soft-failed.
 *
 * A room uses a PS when its *current state* has an `m.room.policy` event with empty state key
 * whose content has a string `via` and `public_keys.ed25519`, and the `via` server has a
 * joined member in current state. The signature is `signatures[via]["ed25519:policy_server"]`
 * over the redacted event, checked with the key from room state (the PS key is not published).
 * The `m.room.policy` state event with empty state key itself needs no PS signature.
 */
import { redactedEssentials } from "../../events/redaction.js";
import type { RoomVersion } from "../../events/room-versions.js";
import { signedBytes, verifyDetached } from "../../events/signing-json.js";
import { decodeBase64 } from "../../events/base64.js";
import { POLICY_SERVER_KEY_ID } from "../../events/verify-event.js";
import type { RoomEvent } from "../../events/types.js";
import type { AuthStateLookup } from "../auth/types.js";

export const POLICY = "m.room.policy";

export interface PolicyServer {
  via: string;
  publicKey: Uint8Array;
}

/** The Policy Server the room uses according to `current`, if any. */
export function roomPolicyServer(current: AuthStateLookup, hasJoinedMember: (server: string) => boolean): PolicyServer | undefined {
  const ev = current.get(POLICY, "");
  if (!ev) return undefined;
  const via = ev.content.via;
  const keys = ev.content.public_keys;
  if (typeof via !== "string" || keys === null || typeof keys !== "object" || Array.isArray(keys)) return undefined;
  const ed = (keys as Record<string, unknown>).ed25519;
  if (typeof ed !== "string") return undefined;
  const publicKey = decodeBase64(ed);
  if (!publicKey || publicKey.length !== 32) return undefined;
  return hasJoinedMember(via) ? { via, publicKey } : undefined;
}

export function needsPolicySignature(ev: RoomEvent): boolean {
  return !(ev.type === POLICY && ev.stateKey === "");
}

export function hasValidPolicySignature(ev: RoomEvent, ps: PolicyServer, version: RoomVersion): boolean {
  const sig = ev.pdu.signatures?.[ps.via]?.[POLICY_SERVER_KEY_ID];
  if (typeof sig !== "string") return false;
  return verifyDetached(signedBytes(redactedEssentials(ev.pdu, version), version.strictCanonicalJson), sig, ps.publicKey);
}
