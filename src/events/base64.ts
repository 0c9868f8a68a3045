/**
 * Unpadded Base64, standard and URL-safe (appendices: "Unpadded Base64").
 *
 * Decoding accepts either alphabet, with or without padding, as the spec asks ("SHOULD accept
 * input with or without padding"), but rejects characters outside both alphabets and
 * impossible lengths, so a malformed signature fails rather than decoding to garbage.
 */

export function encodeBase64(bytes: Uint8Array): string {
  return toBuffer(bytes).toString("base64").replace(/=+$/, "");
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return toBuffer(bytes).toString("base64url");
}

const VALID = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** Decode unpadded or padded, standard or URL-safe base64; `null` when malformed. */
export function decodeBase64(text: string): Buffer | null {
  if (!VALID.test(text)) return null;
  const body = text.replace(/=+$/, "");
  if (body.length % 4 === 1) return null;
  return Buffer.from(body, body.includes("-") || body.includes("_") ? "base64url" : "base64");
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
