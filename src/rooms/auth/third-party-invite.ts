/**
 * Member rule "If `membership` is `invite` and `content` has a `third_party_invite`
 * property" (rooms/v1.md … v12.md; client-server-api modules/third_party_invites.md: "All
 * homeservers MUST verify the signature in the m.room.member event's
 * content.third_party_invite.signed object").
 *
 * 1. Target banned → reject.            2. No `signed` → reject.
 * 3. `signed` lacks `mxid`/`token` → reject.   4. `mxid` ≠ `state_key` → reject.
 * 5. No `m.room.third_party_invite` with state_key = `token` → reject.
 * 6. `sender` ≠ that event's sender → reject.
 * 7. Any ed25519 signature in `signed` verifies under any public key of that event
 *    (`public_key`, or `public_keys[].public_key`; standard or URL-safe base64) → allow.
 * 8. Otherwise reject.
 *
 * `key_validity_url` is deliberately not consulted: only the server handling the join may
 * check revocation, never an auth rule (third_party_invites.md: acceptance must be
 * deterministic).
 */
import { decodeBase64 } from "../../events/base64.js";
import type { RoomVersion } from "../../events/room-versions.js";
import { signedBytes, verifyDetached } from "../../events/signing-json.js";
import type { JsonObject, RoomEvent } from "../../events/types.js";
import { ALLOW, type AuthResult, type AuthStateLookup, THIRD_PARTY_INVITE, deny, hasOwn, membershipOf, objectField } from "./types.js";
import { isJsonObject } from "../../json.js";

const ED25519_PUBLIC_KEY_BYTES = 32;

export function checkThirdPartyInvite(ev: RoomEvent, state: AuthStateLookup, version: RoomVersion): AuthResult {
  const target = ev.stateKey!;
  if (membershipOf(state, target) === "ban") return deny("m.room.member invite (third party): target user is banned");

  const tpi = objectField(ev.content, "third_party_invite");
  const signed = tpi ? objectField(tpi, "signed") : undefined;
  if (!signed) return deny("m.room.member invite (third party): third_party_invite has no signed object");
  if (!hasOwn(signed, "mxid") || !hasOwn(signed, "token")) {
    return deny("m.room.member invite (third party): signed lacks mxid or token");
  }
  if (signed["mxid"] !== target) return deny("m.room.member invite (third party): signed.mxid does not match state_key");

  const token = signed["token"];
  const inviteEvent = typeof token === "string" ? state.get(THIRD_PARTY_INVITE, token) : undefined;
  if (!inviteEvent) return deny("m.room.member invite (third party): no m.room.third_party_invite for the token");
  if (inviteEvent.sender !== ev.sender) {
    return deny("m.room.member invite (third party): sender does not match the m.room.third_party_invite sender");
  }
  if (!signedByAnyKey(signed, publicKeys(inviteEvent.content), version)) {
    return deny("m.room.member invite (third party): no signature in signed matches a public key");
  }
  return ALLOW;
}

/** The ed25519 public keys an `m.room.third_party_invite` offers (malformed ones skipped). */
export function publicKeys(content: JsonObject): Buffer[] {
  const encoded: string[] = [];
  if (typeof content["public_key"] === "string") encoded.push(content["public_key"]);
  const list = content["public_keys"];
  if (Array.isArray(list)) {
    for (const entry of list) {
      if (isJsonObject(entry) && typeof entry["public_key"] === "string") {
        encoded.push(entry["public_key"]);
      }
    }
  }
  const keys: Buffer[] = [];
  for (const text of encoded) {
    const key = decodeBase64(text);
    if (key && key.length === ED25519_PUBLIC_KEY_BYTES) keys.push(key);
  }
  return keys;
}

/** Rule 7: some `signatures[server]["ed25519:*"]` on `signed` verifies under some key. */
export function signedByAnyKey(signed: JsonObject, keys: readonly Buffer[], version: RoomVersion): boolean {
  const sigs = objectField(signed, "signatures");
  if (!sigs || keys.length === 0) return false;
  let message: Buffer;
  try {
    message = signedBytes(signed, version.strictCanonicalJson);
  } catch {
    return false; // not encodable as canonical JSON for this version: nothing can have signed it
  }
  for (const perServer of Object.values(sigs)) {
    if (perServer === null || typeof perServer !== "object" || Array.isArray(perServer)) continue;
    for (const [keyId, sig] of Object.entries(perServer)) {
      if (!keyId.startsWith("ed25519:") || typeof sig !== "string") continue;
      if (keys.some((k) => verifyDetached(message, sig, k))) return true;
    }
  }
  return false;
}
