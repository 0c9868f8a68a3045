/** server-server "Adding hashes and signatures to outgoing events"; counter-signing. */
import { describe, expect, it } from "vitest";
import { encodeBase64 } from "../../../src/events/base64.js";
import { contentHash, referenceHashInput } from "../../../src/events/hashes.js";
import { addEventSignature, hashAndSignEvent } from "../../../src/events/sign-event.js";
import { verifyDetached } from "../../../src/events/signing-json.js";
import type { JsonObject } from "../../../src/events/types.js";
import { V, keyFor, messageEvent } from "./fixtures.js";

const key = keyFor("ed25519:a1", 1);
const other = keyFor("ed25519:z", 2);

describe("hashAndSignEvent", () => {
  const v = V("11");

  it("sets hashes.sha256 to the content hash, replacing any previous hashes", () => {
    const ev = messageEvent(v, { hashes: { sha256: "stale", other: "x" } });
    const signed = hashAndSignEvent(ev, v, "origin.test", key);
    expect(signed.hashes).toEqual({ sha256: encodeBase64(contentHash(ev, v)) });
  });

  it("signs the redacted form, so the signature survives redaction", () => {
    const signed = hashAndSignEvent(messageEvent(v), v, "origin.test", key);
    const sig = signed.signatures["origin.test"]![key.keyId]!;
    expect(verifyDetached(referenceHashInput(signed, v), sig, key.publicKey)).toBe(true);
    expect(verifyDetached(referenceHashInput({ ...signed, content: {} }, v), sig, key.publicKey)).toBe(true);
  });

  it("keeps other servers' signatures and unsigned, and does not mutate the input", () => {
    const ev = messageEvent(v, { signatures: { "other.test": { "ed25519:o": "sig" } }, unsigned: { age: 7 } });
    const before = structuredClone(ev);
    const signed = hashAndSignEvent(ev, v, "origin.test", key);
    expect(signed.signatures["other.test"]).toEqual({ "ed25519:o": "sig" });
    expect(Object.keys(signed.signatures["origin.test"]!)).toEqual([key.keyId]);
    expect(signed.unsigned).toEqual({ age: 7 });
    expect(ev).toEqual(before);
  });

  it("refuses floats in strict versions rather than signing unencodable JSON", () => {
    expect(() => hashAndSignEvent(messageEvent(v, { content: { n: 0.5 } }), v, "origin.test", key)).toThrow();
    const v5 = V("5");
    expect(hashAndSignEvent(messageEvent(v5, { content: { n: 0.5 } }), v5, "origin.test", key).hashes.sha256).toMatch(
      /^[A-Za-z0-9+/]{43}$/,
    );
  });
});

describe("addEventSignature", () => {
  const v = V("9");
  const join: JsonObject = messageEvent(v, {
    type: "m.room.member",
    state_key: "@alice:origin.test",
    content: { membership: "join", join_authorised_via_users_server: "@bob:resident.test" },
  });

  it("adds a signature without re-hashing and keeps existing ones", () => {
    const signed = hashAndSignEvent(join, v, "origin.test", key);
    const counter = addEventSignature(signed, v, "resident.test", other);
    expect(counter.hashes).toEqual(signed.hashes);
    expect(counter.signatures["origin.test"]).toEqual(signed.signatures["origin.test"]);
    const sig = counter.signatures["resident.test"]![other.keyId]!;
    expect(verifyDetached(referenceHashInput(signed, v), sig, other.publicKey)).toBe(true);
  });

  it("adds a second key of the same server alongside the first", () => {
    const signed = hashAndSignEvent(join, v, "origin.test", key);
    const twice = addEventSignature(signed, v, "origin.test", keyFor("ed25519:a2", 5));
    expect(Object.keys(twice.signatures["origin.test"]!).sort()).toEqual(["ed25519:a1", "ed25519:a2"]);
  });
});
