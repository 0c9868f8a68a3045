import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  formatSigningKeyFile,
  generateSigningKey,
  loadOrCreateSigningKey,
  loadSigningKey,
  oldKeyBytes,
  parseSigningKeyFile,
  retire,
  saveSigningKey,
} from "../../../src/crypto/signing-keys.js";
import { encodeBase64 } from "../../../src/events/base64.js";
import { signJson } from "../../../src/events/signing-json.js";
import type { JsonObject } from "../../../src/events/types.js";
import { tempDir } from "../../helpers/temp.js";

// appendices.md "Signing key" test vector: seed YJDBA9…, key ID ed25519:1, server "domain".
const SPEC_LINE = "ed25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
const SPEC_EMPTY_OBJECT_SIGNATURE = "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ";

const dir = tempDir();
afterAll(() => dir.cleanup());

describe("signing key file (Synapse format)", () => {
  it("reads the spec's key and signs its test vector", () => {
    const [key] = parseSigningKeyFile(`${SPEC_LINE}\n`);
    expect(key!.keyId).toBe("ed25519:1");
    expect(signJson({} as JsonObject, "domain", key!).signatures).toEqual({ domain: { "ed25519:1": SPEC_EMPTY_OBJECT_SIGNATURE } });
  });

  it("writes exactly one `ed25519 <version> <unpadded seed>` line per key and reads it back", () => {
    const [key] = parseSigningKeyFile(SPEC_LINE);
    // The spec's seed text has non-zero padding bits (…XA1); the canonical encoding ends …XA0.
    expect(formatSigningKeyFile([key!])).toBe("ed25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0\n");
    const a = generateSigningKey();
    const b = generateSigningKey("old_1");
    const text = formatSigningKeyFile([a, b]);
    const back = parseSigningKeyFile(text);
    expect(back.map((k) => k.keyId)).toEqual([a.keyId, "ed25519:old_1"]);
    expect(back[0]!.publicKey.equals(a.publicKey)).toBe(true);
    expect(text).not.toContain("=");
  });

  it("generates random key IDs of the allowed alphabet", () => {
    const ids = new Set(Array.from({ length: 20 }, () => generateSigningKey().keyId));
    for (const id of ids) expect(id).toMatch(/^ed25519:[a-zA-Z0-9_]{6}$/);
    expect(ids.size).toBeGreaterThan(1);
    expect(() => generateSigningKey("bad-version")).toThrow();
  });

  it("rejects malformed files with the line number", () => {
    expect(() => parseSigningKeyFile("")).toThrow(/no key/);
    expect(() => parseSigningKeyFile("ed448 1 AAAA")).toThrow(/line 1/);
    expect(() => parseSigningKeyFile(`${SPEC_LINE}\ned25519 a-b YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1`)).toThrow(/line 2/);
    expect(() => parseSigningKeyFile("ed25519 1 c2hvcnQ")).toThrow(/32 bytes/);
  });

  it("saves owner-only, loads the first key, and creates a key only when missing", () => {
    const path = join(dir.path, "sub", "signing.key");
    const first = loadOrCreateSigningKey(path);
    expect(first.created).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = loadOrCreateSigningKey(path);
    expect(second.created).toBe(false);
    expect(second.key.keyId).toBe(first.key.keyId);
    expect(second.key.secretKey.equals(first.key.secretKey)).toBe(true);

    const multi = join(dir.path, "multi.key");
    const [spec] = parseSigningKeyFile(SPEC_LINE);
    saveSigningKey(multi, [spec!, first.key]);
    expect(loadSigningKey(multi).keyId).toBe("ed25519:1");
    writeFileSync(multi, "garbage\n");
    expect(() => loadSigningKey(multi)).toThrow(new RegExp(multi.replace(/[/.]/g, "\\$&")));
    expect(readFileSync(path, "utf8").split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("describes a retired key for old_verify_keys", () => {
    const key = generateSigningKey();
    const old = retire(key, 1234);
    expect(old).toEqual({ key: encodeBase64(key.publicKey), expired_ts: 1234 });
    expect(oldKeyBytes(old)?.equals(key.publicKey)).toBe(true);
    expect(oldKeyBytes({ key: "short", expired_ts: 0 })).toBeUndefined();
  });
});
