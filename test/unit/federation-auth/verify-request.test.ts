import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sodium from "sodium-native";
import { CryptoPool } from "../../../src/crypto/pool.js";
import { isMatrixError, type MatrixError } from "../../../src/errors.js";
import { signRequest } from "../../../src/federation/auth/request-json.js";
import { authenticateRequest, signedParts, type RequestKeySource, type SignedRequestParts } from "../../../src/federation/auth/verify-request.js";
import { buildXMatrix } from "../../../src/federation/auth/x-matrix.js";
import { canonicalJson } from "../../../src/events/canonical-json.js";
import { signDetached, signingKeyFromSeed, type SigningKey } from "../../../src/events/signing-json.js";
import type { JsonValue } from "../../../src/events/types.js";
import type { ServerKey } from "../../../src/events/verify-event.js";
import type { HttpRequest } from "../../../src/http/request.js";

const ORIGIN = "origin.example:8448";
const US = "127.0.0.1:18448";
const NOW = 1_800_000_000_000;

function newKey(id: string): SigningKey {
  const seed = Buffer.alloc(32);
  sodium.randombytes_buf(seed);
  return signingKeyFromSeed(id, seed);
}

/** A fixed key table standing in for the key ring; records which lookups were made. */
class KeyTable implements RequestKeySource {
  readonly asked: { serverName: string; keyIds: readonly string[]; min: number }[] = [];
  constructor(private readonly keys: Record<string, Record<string, ServerKey>>) {}
  async getServerKeys(serverName: string, keyIds: readonly string[], min: number): Promise<Map<string, ServerKey>> {
    this.asked.push({ serverName, keyIds, min });
    const out = new Map<string, ServerKey>();
    for (const id of keyIds) {
      const k = this.keys[serverName]?.[id];
      if (k) out.set(id, k);
    }
    return out;
  }
}

describe("authenticateRequest", () => {
  const current = newKey("ed25519:current");
  const old = newKey("ed25519:old");
  const expired = newKey("ed25519:expired");
  const second = newKey("ed25519:second");
  const keys = new KeyTable({
    [ORIGIN]: {
      [current.keyId]: { key: current.publicKey, validUntilTs: NOW + 3_600_000 },
      [old.keyId]: { key: old.publicKey, validUntilTs: NOW - 1, expiredTs: NOW - 1 },
      [expired.keyId]: { key: expired.publicKey, validUntilTs: NOW - 1 },
      [second.keyId]: { key: second.publicKey, validUntilTs: NOW + 3_600_000 },
    },
  });
  let pool: CryptoPool;
  const deps = () => ({ serverName: US, keys, verifier: pool, now: () => NOW });

  beforeAll(() => {
    pool = new CryptoPool({ size: 1 });
  });
  afterAll(async () => {
    await pool.close();
  });

  function signed(key: SigningKey, method: string, uri: string, content?: JsonValue, destination = US): SignedRequestParts {
    const s = signRequest({ method, uri, origin: ORIGIN, destination }, key, content);
    return { method, uri, authorization: s.authorization, content };
  }

  async function rejection(parts: SignedRequestParts): Promise<MatrixError> {
    try {
      await authenticateRequest(deps(), parts);
    } catch (err) {
      if (isMatrixError(err)) return err;
      throw err;
    }
    throw new Error("request was accepted");
  }

  it("accepts a request signed by the origin's current key, body and query included", async () => {
    const uri = "/_matrix/federation/v1/send/txn1?foo=bar%20baz";
    const auth = await authenticateRequest(deps(), signed(current, "PUT", uri, { pdus: [], edus: [{ edu_type: "m.typing" }] }));
    expect(auth).toEqual({ origin: ORIGIN, destination: US, keyId: current.keyId });
    expect(keys.asked.at(-1)).toEqual({ serverName: ORIGIN, keyIds: [current.keyId], min: NOW });
  });

  it("verifies large bodies from their bytes in the pool, and still catches tampering", async () => {
    const uri = "/_matrix/federation/v1/send/big";
    const content = { pdus: Array.from({ length: 40 }, (_, i) => ({ n: i, pad: "x".repeat(200) })) };
    const parts = signed(current, "PUT", uri, content);
    const bytes = Buffer.from(JSON.stringify(content));
    expect(bytes.length).toBeGreaterThan(4096);
    await expect(authenticateRequest(deps(), { ...parts, contentBytes: bytes })).resolves.toMatchObject({ origin: ORIGIN });
    const tampered = Buffer.from(JSON.stringify({ ...content, pdus: content.pdus.slice(1) }));
    const err = await rejection({ ...parts, contentBytes: tampered });
    expect(err.errcode).toBe("M_UNAUTHORIZED");
  });

  it("accepts a GET without content", async () => {
    await expect(authenticateRequest(deps(), signed(current, "GET", "/_matrix/federation/v1/version"))).resolves.toMatchObject({ origin: ORIGIN });
  });

  it.each([
    ["another method", (p: SignedRequestParts) => ({ ...p, method: "POST" })],
    ["another path", (p: SignedRequestParts) => ({ ...p, uri: "/_matrix/federation/v1/send/txn2" })],
    ["another query", (p: SignedRequestParts) => ({ ...p, uri: `${p.uri}&x=1` })],
    ["changed content", (p: SignedRequestParts) => ({ ...p, content: { pdus: [1] } })],
    ["content dropped", (p: SignedRequestParts) => ({ ...p, content: undefined })],
  ])("rejects the signature for %s with 401 M_UNAUTHORIZED", async (_name, tamper) => {
    const err = await rejection(tamper(signed(current, "PUT", "/_matrix/federation/v1/send/txn1?a=b", { pdus: [] })));
    expect(err.status).toBe(401);
    expect(err.errcode).toBe("M_UNAUTHORIZED");
  });

  it("rejects a request for another destination (spec: must deny with 401)", async () => {
    const err = await rejection(signed(current, "GET", "/_matrix/federation/v1/version", undefined, "elsewhere.example"));
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/destination/);
  });

  it("accepts a header without destination when the signature covers us as destination (older servers)", async () => {
    const uri = "/_matrix/federation/v1/query/profile?user_id=%40a%3Ab";
    const bytes = Buffer.from(canonicalJson({ method: "GET", uri, origin: ORIGIN, destination: US }));
    const sig = signDetached(bytes, current.secretKey);
    const authorization = `X-Matrix origin=${ORIGIN},key="${current.keyId}",sig="${sig}"`;
    await expect(authenticateRequest(deps(), { method: "GET", uri, authorization, content: undefined })).resolves.toMatchObject({
      origin: ORIGIN,
      destination: undefined,
    });
  });

  it("rejects a missing, malformed or non-X-Matrix Authorization header", async () => {
    for (const authorization of [undefined, "", "Bearer abc", 'X-Matrix origin="o.example"', 'X-Matrix origin="bad name!",key="ed25519:a",sig="s"']) {
      const err = await rejection({ method: "GET", uri: "/x", authorization, content: undefined });
      expect(err.status).toBe(401);
      expect(err.errcode).toBe("M_UNAUTHORIZED");
    }
  });

  it("rejects keys it cannot find, old keys (events only) and keys past valid_until_ts", async () => {
    for (const key of [newKey("ed25519:unknown"), old, expired]) {
      const err = await rejection(signed(key, "GET", "/_matrix/federation/v1/version"));
      expect(err.message).toMatch(/Unknown or expired/);
    }
  });

  it("rejects a signature made by a different key under a known key ID", async () => {
    const impostor = signingKeyFromSeed(current.keyId, Buffer.alloc(32, 7));
    expect((await rejection(signed(impostor, "GET", "/_matrix/federation/v1/version"))).message).toMatch(/Invalid X-Matrix signature/);
  });

  it("checks every credential of repeated headers: one bad signature from a known key fails the request", async () => {
    const uri = "/_matrix/federation/v1/version";
    const good = signed(current, "GET", uri).authorization!;
    const unknownKey = signed(newKey("ed25519:other"), "GET", uri).authorization!;
    await expect(authenticateRequest(deps(), { method: "GET", uri, authorization: `${good}, ${unknownKey}`, content: undefined })).resolves.toMatchObject({
      keyId: current.keyId,
    });
    const badSecond = buildXMatrix({ origin: ORIGIN, destination: US, key: second.keyId, sig: signed(current, "GET", uri).authorization!.match(/sig="([^"]+)"/)![1]! });
    const err = await rejection({ method: "GET", uri, authorization: `${good}, ${badSecond}`, content: undefined });
    expect(err.message).toMatch(/Invalid X-Matrix signature/);
  });

  it("refuses credentials that name different origins", async () => {
    const uri = "/_matrix/federation/v1/version";
    const a = signed(current, "GET", uri).authorization!;
    const b = a.replace(`origin="${ORIGIN}"`, 'origin="other.example"');
    expect((await rejection({ method: "GET", uri, authorization: `${a}, ${b}`, content: undefined })).message).toMatch(/different origins/);
  });

  it("verifies bodies holding floats (room v1–v5 events) with the permissive canonical form", async () => {
    const content = { pdus: [{ content: { weight: 1.5 }, depth: 3 }] };
    await expect(authenticateRequest(deps(), signed(current, "PUT", "/_matrix/federation/v1/send/f", content))).resolves.toMatchObject({
      origin: ORIGIN,
    });
  });
});

describe("signedParts", () => {
  const base = { method: "PUT", path: "/p", uri: "/p?q=1", params: {}, query: new URLSearchParams(), remoteAddress: "127.0.0.1", auth: undefined };

  it("has content exactly when the request had a body", () => {
    const withBody = { ...base, headers: { authorization: "X" }, body: { a: 1 }, rawBody: Buffer.from('{"a":1}') } as HttpRequest;
    expect(signedParts(withBody)).toEqual({ method: "PUT", uri: "/p?q=1", authorization: "X", content: { a: 1 }, contentBytes: Buffer.from('{"a":1}') });
    // "object-or-empty" routes read an empty body as {}: it was not signed as content.
    const empty = { ...base, headers: {}, body: {}, rawBody: Buffer.alloc(0) } as HttpRequest;
    expect(signedParts(empty).content).toBeUndefined();
  });

  it("parses a raw body itself when the route did not", () => {
    const raw = { ...base, headers: {}, body: undefined, rawBody: Buffer.from("[1,2]") } as HttpRequest;
    expect(signedParts(raw).content).toEqual([1, 2]);
    const junk = { ...base, headers: {}, body: undefined, rawBody: Buffer.from("{nope") } as HttpRequest;
    expect(() => signedParts(junk)).toThrow(/not JSON/);
  });
});
