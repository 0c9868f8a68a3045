import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sodium from "sodium-native";
import { CryptoPool } from "../../../src/crypto/pool.js";
import type { WireKeyMap } from "../../../src/crypto/pool-tasks.js";
import { getRoomVersion } from "../../../src/events/room-versions.js";
import { hashAndSignEvent } from "../../../src/events/sign-event.js";
import { verifyEvent } from "../../../src/events/verify-event.js";
import { checkJsonSignature, signJson, signingKeyFromSeed, type SigningKey } from "../../../src/events/signing-json.js";
import type { JsonObject, Pdu } from "../../../src/events/types.js";

const SERVER = "127.0.0.1:18448";

function newKey(id: string): SigningKey {
  const seed = Buffer.alloc(32);
  sodium.randombytes_buf(seed);
  return signingKeyFromSeed(id, seed);
}

function message(i: number, roomId: string): JsonObject {
  return {
    room_id: roomId,
    sender: `@alice:${SERVER}`,
    type: "m.room.message",
    origin_server_ts: 1_700_000_000_000 + i,
    depth: 5 + i,
    prev_events: [],
    auth_events: [],
    content: { msgtype: "m.text", body: `hello ${i}` },
  };
}

describe("CryptoPool", () => {
  const key = newKey("ed25519:pool");
  const keys: WireKeyMap = { [SERVER]: { [key.keyId]: { key: key.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER } } };
  let pool: CryptoPool;

  beforeAll(() => {
    pool = new CryptoPool({ size: 2, identity: { serverName: SERVER, key }, passwordOpsLimit: 1, passwordMemLimit: 8 * 1024 * 1024, minChunk: 4 });
  });
  afterAll(async () => {
    await pool.close();
  });

  // Good, forged-signature and tampered-content events across room-version families.
  function corpus(): { pdus: Pdu[]; versions: string[] } {
    const pdus: Pdu[] = [];
    const versions: string[] = [];
    for (const v of ["1", "3", "4", "6", "10", "11", "12"]) {
      const version = getRoomVersion(v)!;
      for (let i = 0; i < 4; i++) {
        const base = message(i, `!room:${SERVER}`);
        if (version.eventIdFormat === "carried") base.event_id = `$ev${v}_${i}:${SERVER}`;
        let pdu = hashAndSignEvent(base, version, SERVER, key);
        if (i === 1) {
          // forged: signature bytes of another event
          const other = hashAndSignEvent({ ...base, depth: 999 }, version, SERVER, key);
          pdu = { ...pdu, signatures: other.signatures };
        } else if (i === 2) {
          // tampered content: signature still valid over the redacted form, hash is not
          pdu = { ...pdu, content: { msgtype: "m.text", body: "tampered" } };
        }
        pdus.push(pdu);
        versions.push(v);
      }
    }
    return { pdus, versions };
  }

  it("verifies events exactly as the inline code does (objects and transferred JSON)", async () => {
    const { pdus, versions } = corpus();
    const lookup = (s: string, k: string) => keys[s]?.[k];
    const inline = pdus.map((p, i) => verifyEvent(p, getRoomVersion(versions[i]!)!, lookup));
    const viaObjects = await pool.verifyEvents({ kind: "objects", pdus }, versions, keys);
    const viaJson = await pool.verifyEvents(
      { kind: "json", bytes: Buffer.from(JSON.stringify({ origin: SERVER, pdus })), field: "pdus" },
      versions,
      keys,
    );
    expect(viaObjects).toEqual(inline);
    expect(viaJson).toEqual(inline);
    // and the inline answers are the expected ones
    inline.forEach((r, i) => {
      const kind = i % 4;
      if (kind === 1) expect(r.signaturesOk).toBe(false);
      else expect(r.signaturesOk).toBe(true);
      if (kind === 2) expect(r.contentHashOk).toBe(false);
      if (kind === 0 || kind === 3) expect(r.contentHashOk).toBe(true);
    });
  });

  it("reports missing keys instead of passing events it cannot check", async () => {
    const pdu = hashAndSignEvent(message(0, `!room:${SERVER}`), getRoomVersion("10")!, SERVER, key);
    const [r] = await pool.verifyEvents({ kind: "objects", pdus: [pdu] }, ["10"], {});
    expect(r!.signaturesOk).toBe(false);
    expect(r!.missingKeys).toEqual([{ serverName: SERVER, keyId: key.keyId }]);
  });

  it("signs events and JSON with the server key; signatures verify inline", async () => {
    const [signed] = await pool.signEvents([message(7, `!room:${SERVER}`)], ["10"]);
    const r = verifyEvent(signed!.pdu, getRoomVersion("10")!, (s, k) => keys[s]?.[k]);
    expect(r.signaturesOk && r.contentHashOk).toBe(true);
    expect(signed!.eventId).toBe(r.eventId);
    const other = newKey("ed25519:other");
    const theirs = hashAndSignEvent(message(8, `!room:${SERVER}`), getRoomVersion("10")!, "remote.example", other);
    const [counter] = await pool.addEventSignatures([theirs], ["10"]);
    expect(Object.keys(counter!.signatures).sort()).toEqual([SERVER, "remote.example"].sort());
    expect(counter!.hashes).toEqual(theirs.hashes);
    const [obj] = await pool.signJson([{ hello: "world" }]);
    expect(checkJsonSignature(obj!, SERVER, () => key.publicKey).ok).toBe(true);
    expect(obj).toEqual(signJson({ hello: "world" }, SERVER, key));
  });

  it("verifies JSON signatures and rejects forged ones", async () => {
    const good = signJson({ method: "GET", uri: "/x" }, SERVER, key);
    const forged = { ...good, uri: "/y" };
    const res = await pool.verifyJson([
      { object: good, signer: SERVER, keys: { [key.keyId]: key.publicKey } },
      { object: forged, signer: SERVER, keys: { [key.keyId]: key.publicKey } },
      { object: good, signer: "other.example", keys: { [key.keyId]: key.publicKey } },
    ]);
    expect(res.map((r) => r.ok)).toEqual([true, false, false]);
  });

  it("hashes passwords with argon2id and verifies them", async () => {
    const hash = await pool.hashPassword("correct horse");
    expect(hash.startsWith("$argon2id$")).toBe(true);
    expect(await pool.verifyPassword("correct horse", hash)).toBe(true);
    expect(await pool.verifyPassword("wrong horse", hash)).toBe(false);
    expect(await pool.verifyPassword("x", "not a hash")).toBe(false);
  });

  it("splits large object batches across workers and keeps order", async () => {
    const version = getRoomVersion("11")!;
    const pdus = Array.from({ length: 40 }, (_, i) => hashAndSignEvent(message(i, `!r:${SERVER}`), version, SERVER, key));
    const res = await pool.verifyEvents({ kind: "objects", pdus }, pdus.map(() => "11"), keys);
    const hashes = await pool.hashEvents(pdus, pdus.map(() => "11"));
    expect(res.map((r) => r.eventId)).toEqual(hashes.map((h) => h.eventId));
    expect(new Set(res.map((r) => r.eventId)).size).toBe(40);
  });
});
