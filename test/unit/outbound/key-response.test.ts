import { describe, expect, it } from "vitest";
import { encodeBase64 } from "../../../src/events/base64.js";
import type { JsonObject } from "../../../src/events/types.js";
import {
  MAX_KEY_VALIDITY_MS,
  oldServerKey,
  parseKeyResponse,
  verifyServerKey,
  withOriginSignaturesOnly,
} from "../../../src/outbound/key-response.js";

/** data/api/server-server/examples/server_key.json (Matrix 1.19), verbatim. */
const SPEC_SERVER_KEY: JsonObject = {
  server_name: "example.org",
  verify_keys: { "ed25519:abc123": { key: "VGhpcyBzaG91bGQgYmUgYSByZWFsIGVkMjU1MTkgcGF5bG9hZA" } },
  old_verify_keys: { "ed25519:0ldk3y": { expired_ts: 1532645052628, key: "VGhpcyBzaG91bGQgYmUgeW91ciBvbGQga2V5J3MgZWQyNTUxOSBwYXlsb2FkLg" } },
  signatures: { "example.org": { "ed25519:auto2": "VGhpcyBzaG91bGQgYWN0dWFsbHkgYmUgYSBzaWduYXR1cmU" } },
  valid_until_ts: 1652262000000,
};
const KEY = encodeBase64(Buffer.alloc(32, 1));
const OLD = encodeBase64(Buffer.alloc(32, 2));

function response(extra: JsonObject = {}): JsonObject {
  return {
    server_name: "example.org",
    verify_keys: { "ed25519:abc123": { key: KEY } },
    old_verify_keys: { "ed25519:0ldk3y": { key: OLD, expired_ts: 1532645052628 } },
    signatures: { "example.org": { "ed25519:abc123": "sig" } },
    valid_until_ts: 1652262000000,
    ...extra,
  };
}

describe("parseKeyResponse", () => {
  it("reads the spec's example shape (its placeholder keys are not 32 bytes, so no key is usable)", () => {
    expect(parseKeyResponse(SPEC_SERVER_KEY, "example.org")).toEqual({ ok: false, reason: "no usable ed25519 key in verify_keys" });
  });

  it("accepts a well-formed response and exposes its keys", () => {
    const r = parseKeyResponse(response(), "example.org");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.response.validUntilTs).toBe(1652262000000);
    expect([...r.response.verifyKeys.keys()]).toEqual(["ed25519:abc123"]);
    expect(r.response.oldVerifyKeys.get("ed25519:0ldk3y")!.expiredTs).toBe(1532645052628);
  });

  it.each([
    ["another server_name", response({ server_name: "evil.org" }), /server_name/],
    ["no valid_until_ts", response({ valid_until_ts: null }), /valid_until_ts/],
    ["a float valid_until_ts", response({ valid_until_ts: 1.5 }), /valid_until_ts/],
    ["no signatures", response({ signatures: null }), /signatures/],
    ["no verify_keys", response({ verify_keys: null }), /verify_keys/],
    ["only foreign algorithms", response({ verify_keys: { "curve25519:a": { key: KEY } } }), /no usable/],
    ["a short key", response({ verify_keys: { "ed25519:a": { key: "AAAA" } } }), /no usable/],
    ["old_verify_keys of the wrong type", response({ old_verify_keys: [] }), /old_verify_keys/],
  ])("rejects %s", (_name, value, reason) => {
    const r = parseKeyResponse(value, "example.org");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it("rejects non-objects", () => {
    expect(parseKeyResponse([1], "example.org").ok).toBe(false);
    expect(parseKeyResponse("x", "example.org").ok).toBe(false);
  });

  it("drops malformed old keys and old entries that repeat a verify key", () => {
    const r = parseKeyResponse(
      response({
        old_verify_keys: {
          "ed25519:abc123": { key: OLD, expired_ts: 1 },
          "ed25519:noexpiry": { key: OLD },
          "ed25519:good": { key: OLD, expired_ts: 5 },
        },
      }),
      "example.org",
    );
    expect(r.ok && [...r.response.oldVerifyKeys.keys()]).toEqual(["ed25519:good"]);
  });
});

describe("ServerKey views", () => {
  it("caps verify keys at fetch time + 7 days (keys.yaml, v5 signing requirements)", () => {
    const fetchedAt = 1_000_000;
    expect(verifyServerKey(Buffer.alloc(32), fetchedAt + 1000, fetchedAt).validUntilTs).toBe(fetchedAt + 1000);
    expect(verifyServerKey(Buffer.alloc(32), fetchedAt + 100 * MAX_KEY_VALIDITY_MS, fetchedAt).validUntilTs).toBe(fetchedAt + MAX_KEY_VALIDITY_MS);
  });

  it("old keys are valid only before their expiry", () => {
    expect(oldServerKey(Buffer.alloc(32), 42)).toMatchObject({ validUntilTs: 42, expiredTs: 42 });
  });

  it("withOriginSignaturesOnly keeps the origin's signatures and drops the rest", () => {
    const r = response({ signatures: { "example.org": { "ed25519:abc123": "a" }, "notary.example": { "ed25519:n": "b" } } });
    expect(withOriginSignaturesOnly(r, "example.org").signatures).toEqual({ "example.org": { "ed25519:abc123": "a" } });
    expect(withOriginSignaturesOnly(response({ signatures: {} }), "example.org").signatures).toEqual({});
  });
});
