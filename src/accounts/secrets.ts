/**
 * Random identifiers an account hands out: access tokens, device IDs, generated localparts,
 * UIA session IDs, and the hash access tokens are stored under.
 *
 * Access tokens carry 256 bits from the OS CSPRNG, so a plain SHA-256 is enough to store them
 * (client-server API "Client Authentication" leaves the format to the server): nobody can
 * brute-force a 256-bit preimage, so the slow, salted hashes passwords need buy nothing here,
 * while a leaked database still yields no usable token. The lookup stays one hash + one get.
 */
import { createHash, randomBytes, randomInt } from "node:crypto";

const TOKEN_PREFIX = "cfx_";
const DEVICE_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOCALPART_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A new opaque access token (prefixed so leaked tokens are recognisable by secret scanners). */
export function newAccessToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** The key an access token is stored under. */
export function hashAccessToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64url");
}

/** A server-generated device ID: 10 upper-case letters (~47 bits; checked for collisions). */
export function newDeviceId(): string {
  return randomString(DEVICE_ID_ALPHABET, 10);
}

/** A localpart for a registration that gave no username (never all digits, never taken). */
export function newLocalpart(): string {
  return `u${randomString(LOCALPART_ALPHABET, 11)}`;
}

/** An opaque session identifier (UIA). */
export function newSessionId(): string {
  return randomBytes(18).toString("base64url");
}

function randomString(alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}
