import { afterAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../../src/events/types.js";
import { tempStorage } from "./helpers.js";

const tmp = tempStorage();
afterAll(() => tmp.cleanup());

function keyResponse(validUntil: number, extra: JsonObject = {}): JsonObject {
  return {
    server_name: "b.example",
    valid_until_ts: validUntil,
    verify_keys: { "ed25519:new": { key: "TmV3S2V5" } },
    old_verify_keys: { "ed25519:old": { key: "T2xkS2V5", expired_ts: 1000 } },
    signatures: { "b.example": { "ed25519:new": "c2ln" } },
    ...extra,
  };
}

describe("server key cache", () => {
  it("files current and old keys with the signed response they came from", async () => {
    const s = tmp.open("keys");
    const response = keyResponse(5000);
    await s.write((w) => s.serverKeys.putKeyResponse(w, "b.example", response, 100));
    expect(s.serverKeys.getKey("b.example", "ed25519:new")).toMatchObject({
      publicKey: "TmV3S2V5",
      validUntilTs: 5000,
      expiredTs: undefined,
      fetchedAt: 100,
    });
    expect(s.serverKeys.getKey("b.example", "ed25519:old")).toMatchObject({ publicKey: "T2xkS2V5", expiredTs: 1000, validUntilTs: undefined });
    expect(JSON.parse(s.serverKeys.getKey("b.example", "ed25519:new")!.responseJson)).toEqual(response);
    expect(s.serverKeys.getKeys("b.example").map((k) => k.keyId)).toEqual(["ed25519:new", "ed25519:old"]);
    expect(s.serverKeys.getKeys("b.exampl")).toEqual([]);
    expect(s.serverKeys.getKey("c.example", "ed25519:new")).toBeUndefined();
  });

  it("keeps the newest fetch of a key and lists distinct responses newest first", async () => {
    const s = tmp.open("keys-newest");
    const newer = keyResponse(9000, { verify_keys: { "ed25519:new": { key: "TmV3S2V5" }, "ed25519:more": { key: "TW9yZQ" } } });
    await s.write((w) => s.serverKeys.putKeyResponse(w, "b.example", newer, 200));
    await s.write((w) => s.serverKeys.putKeyResponse(w, "b.example", keyResponse(5000), 100));
    expect(s.serverKeys.getKey("b.example", "ed25519:new")!.validUntilTs).toBe(9000);
    const responses = s.serverKeys.getKeyResponses("b.example");
    expect(responses.map((r) => r.valid_until_ts)).toEqual([9000]);
    await s.write((w) => s.serverKeys.removeServer(w, "b.example"));
    expect(s.serverKeys.getKeys("b.example")).toEqual([]);
  });
});

describe("inbound transactions", () => {
  it("returns the stored response for a retry and prunes by age", async () => {
    const s = tmp.open("txns");
    const long = "t".repeat(5000);
    await s.write((w) => {
      s.txns.put(w, "b.example", "txn1", { pdus: { $a: {} } }, 100);
      s.txns.put(w, "b.example", long, { pdus: { $b: { error: "x" } } }, 200);
      s.txns.put(w, "c.example", "txn1", { pdus: {} }, 300);
    });
    expect(s.txns.get("b.example", "txn1")).toEqual({ receivedAt: 100, response: { pdus: { $a: {} } } });
    expect(s.txns.get("b.example", long)!.response).toEqual({ pdus: { $b: { error: "x" } } });
    expect(s.txns.get("c.example", "txn1")!.receivedAt).toBe(300);
    expect(s.txns.get("b.example", "txn2")).toBeUndefined();
    const pruned = await s.write((w) => s.txns.prune(w, 250));
    expect(pruned).toBe(2);
    expect(s.txns.get("b.example", "txn1")).toBeUndefined();
    expect(s.txns.get("b.example", long)).toBeUndefined();
    expect(s.txns.get("c.example", "txn1")).toBeDefined();
    expect(s.store.stats().dbs.inboundTxnsByAge.entries).toBe(1);
  });
});
