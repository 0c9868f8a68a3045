/**
 * Every test vector in the spec's appendices (content/appendices.md): "Unpadded Base64",
 * "Canonical JSON" examples, and "Cryptographic Test Vectors" (signing key, JSON signing,
 * event signing). The event-signing vectors are v1-style events, so room version 1 applies.
 */
import { createPrivateKey, createPublicKey, sign as opensslSign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64, encodeBase64Url } from "../../src/events/base64.js";
import { canonicalJson, canonicalJsonSize } from "../../src/events/canonical-json.js";
import { checkContentHash } from "../../src/events/hashes.js";
import { getRoomVersion } from "../../src/events/room-versions.js";
import { hashAndSignEvent } from "../../src/events/sign-event.js";
import { checkJsonSignature, signJson, signingKeyFromSeed } from "../../src/events/signing-json.js";
import type { JsonObject } from "../../src/events/types.js";
import { verifyEvent } from "../../src/events/verify-event.js";

const SEED = decodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")!;
const SERVER_NAME = "domain";
const KEY_ID = "ed25519:1";
const key = signingKeyFromSeed(KEY_ID, SEED);
const v1 = getRoomVersion("1")!;

describe("Unpadded Base64", () => {
  const examples: [string, string][] = [
    ["", ""],
    ["f", "Zg"],
    ["fo", "Zm8"],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg"],
    ["fooba", "Zm9vYmE"],
    ["foobar", "Zm9vYmFy"],
  ];
  it.each(examples)("UNPADDED_BASE64(%j) = %j, and decodes back", (plain, encoded) => {
    expect(encodeBase64(Buffer.from(plain))).toBe(encoded);
    expect(encodeBase64Url(Buffer.from(plain))).toBe(encoded); // no 62nd/63rd characters here
    expect(decodeBase64(encoded)?.toString()).toBe(plain);
  });

  it("decodes padded input too (SHOULD accept with or without padding)", () => {
    expect(decodeBase64("Zg==")?.toString()).toBe("f");
    expect(decodeBase64("Zm8=")?.toString()).toBe("fo");
  });

  it("uses + and / in the standard alphabet, - and _ in the URL-safe one", () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf]); // 111110 111111 111110 111111 → 62 63 62 63
    expect(encodeBase64(bytes)).toBe("+/+/");
    expect(encodeBase64Url(bytes)).toBe("-_-_");
    expect(decodeBase64("+/+/")).toEqual(bytes);
    expect(decodeBase64("-_-_")).toEqual(bytes);
  });
});

describe("Canonical JSON examples", () => {
  // [input text as given in the appendix, expected canonical output]
  const examples: [string, string][] = [
    ["{}", "{}"],
    ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
    ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
    ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
    [
      `{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`,
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
    ],
    ['{\n    "a": "日本語"\n}', '{"a":"日本語"}'],
    ['{\n    "本": 2,\n    "日": 1\n}', '{"日":1,"本":2}'],
    ['{\n    "a": "\\u65E5"\n}', '{"a":"日"}'],
    ['{\n    "a": null\n}', '{"a":null}'],
    ['{\n    "a": -0,\n    "b": 1e10\n}', '{"a":0,"b":10000000000}'],
  ];
  it("has all ten examples", () => expect(examples).toHaveLength(10));
  it.each(examples)("canonicalises %s", (input, expected) => {
    const value: unknown = JSON.parse(input);
    expect(canonicalJson(value)).toBe(expected);
    expect(canonicalJsonSize(value)).toBe(Buffer.byteLength(expected, "utf8"));
  });
});

describe("Signing Key", () => {
  it("derives the same public key as an independent ed25519 implementation (OpenSSL)", () => {
    // PKCS#8 wrapping of a raw ed25519 seed (RFC 8410): fixed prefix + the 32 seed bytes.
    const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), SEED]);
    const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    const x = createPublicKey(privateKey).export({ format: "jwk" }).x;
    expect(encodeBase64Url(key.publicKey)).toBe(x);
    expect(encodeBase64(key.publicKey)).toBe("XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI");
    // …and OpenSSL's signature over `{}` is the spec's JSON-signing vector (ed25519 is deterministic).
    expect(encodeBase64(opensslSign(null, Buffer.from("{}"), privateKey))).toBe(
      "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ",
    );
  });

  it("derives the ed25519 key pair from the seed", () => {
    expect(SEED).toHaveLength(32);
    expect(key.keyId).toBe(KEY_ID);
    expect(key.publicKey).toHaveLength(32);
    // The JSON-signing vectors below verify against this public key, which pins it down.
    expect(checkJsonSignature(signJson({}, SERVER_NAME, key), SERVER_NAME, () => key.publicKey)).toEqual({
      ok: true,
      keyId: KEY_ID,
    });
  });
});

describe("JSON Signing", () => {
  it("signs the empty object", () => {
    expect(signJson({}, SERVER_NAME, key)).toEqual({
      signatures: {
        domain: {
          "ed25519:1": "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ",
        },
      },
    });
  });

  it("signs an object with data values", () => {
    expect(signJson({ one: 1, two: "Two" }, SERVER_NAME, key)).toEqual({
      one: 1,
      signatures: {
        domain: {
          "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
        },
      },
      two: "Two",
    });
  });

  it("verifies the published signatures and rejects a tampered object", () => {
    const lookup = () => key.publicKey;
    const signed: JsonObject = {
      one: 1,
      two: "Two",
      signatures: { domain: { "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw" } },
    };
    expect(checkJsonSignature(signed, SERVER_NAME, lookup).ok).toBe(true);
    expect(checkJsonSignature({ ...signed, two: "Three" }, SERVER_NAME, lookup).ok).toBe(false);
  });
});

describe("Event Signing", () => {
  const lookup = (server: string, keyId: string) =>
    server === SERVER_NAME && keyId === KEY_ID ? { key: key.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER } : undefined;

  it("signs the minimally-sized event", () => {
    const input: JsonObject = {
      room_id: "!x:domain",
      sender: "@a:domain",
      origin: "domain",
      origin_server_ts: 1000000,
      signatures: {},
      hashes: {},
      type: "X",
      content: {},
      prev_events: [],
      auth_events: [],
      depth: 3,
      unsigned: { age_ts: 1000000 },
    };
    const signed = hashAndSignEvent(input, v1, SERVER_NAME, key);
    expect(signed).toEqual({
      auth_events: [],
      content: {},
      depth: 3,
      hashes: { sha256: "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos" },
      origin: "domain",
      origin_server_ts: 1000000,
      prev_events: [],
      room_id: "!x:domain",
      sender: "@a:domain",
      signatures: {
        domain: {
          "ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg",
        },
      },
      type: "X",
      unsigned: { age_ts: 1000000 },
    });
    expect(input.hashes).toEqual({}); // not mutated
    expect(checkContentHash(signed, v1)).toBe(true);
  });

  it("signs the event with redactable content", () => {
    const input: JsonObject = {
      content: { body: "Here is the message content" },
      event_id: "$0:domain",
      origin: "domain",
      origin_server_ts: 1000000,
      type: "m.room.message",
      room_id: "!r:domain",
      sender: "@u:domain",
      signatures: {},
      unsigned: { age_ts: 1000000 },
    };
    const signed = hashAndSignEvent(input, v1, SERVER_NAME, key);
    expect(signed).toEqual({
      content: { body: "Here is the message content" },
      event_id: "$0:domain",
      hashes: { sha256: "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g" },
      origin: "domain",
      origin_server_ts: 1000000,
      type: "m.room.message",
      room_id: "!r:domain",
      sender: "@u:domain",
      signatures: {
        domain: {
          "ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA",
        },
      },
      unsigned: { age_ts: 1000000 },
    });
    // The published output verifies, including after its content is redacted away.
    const result = verifyEvent(signed, v1, lookup);
    expect(result).toMatchObject({ eventId: "$0:domain", signaturesOk: true, contentHashOk: true });
    const redactedCopy = verifyEvent({ ...signed, content: {} }, v1, lookup);
    expect(redactedCopy.signaturesOk).toBe(true);
    expect(redactedCopy.contentHashOk).toBe(false);
  });
});
