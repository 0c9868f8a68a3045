/**
 * "Validating hashes and signatures on received events" (server-server "Signing Events") and
 * key validity (rooms/fragments/v5-signing-requirements.md).
 */
import { describe, expect, it } from "vitest";
import { computeEventId } from "../../../src/events/hashes.js";
import { addEventSignature, hashAndSignEvent } from "../../../src/events/sign-event.js";
import type { JsonObject, Pdu } from "../../../src/events/types.js";
import { requiredSigners, verifyEvent, type ServerKey } from "../../../src/events/verify-event.js";
import { ALL_VERSIONS, FOREVER, V, keyFor, lookupFrom, messageEvent } from "./fixtures.js";

const ORIGIN = "origin.test";
const originKey = keyFor("ed25519:a1", 1);
const otherKey = keyFor("ed25519:b1", 2);
const residentKey = keyFor("ed25519:r1", 3);
const TS = 1_700_000_000_000;

const sk = (k: { publicKey: Buffer }, extra: Partial<ServerKey> = {}): ServerKey => ({
  key: k.publicKey,
  validUntilTs: FOREVER,
  ...extra,
});
const goodKeys = lookupFrom({
  [ORIGIN]: { [originKey.keyId]: sk(originKey) },
  "resident.test": { [residentKey.keyId]: sk(residentKey) },
});

describe.each(ALL_VERSIONS)("room v%s", (id) => {
  const v = V(id);
  const signed = hashAndSignEvent(messageEvent(v), v, ORIGIN, originKey);

  it("a good event passes, with the right event ID", () => {
    const r = verifyEvent(signed, v, goodKeys);
    expect(r).toEqual({
      eventId: computeEventId(signed, v),
      signaturesOk: true,
      contentHashOk: true,
      missingKeys: [],
      failures: [],
    });
    if (v.eventIdFormat === "carried") expect(r.eventId).toBe("$msg1:origin.test");
    else expect(r.eventId).toMatch(v.eventIdFormat === "base64" ? /^\$[A-Za-z0-9+/]{43}$/ : /^\$[A-Za-z0-9_-]{43}$/);
  });

  it("a forged signature fails", () => {
    const forged = hashAndSignEvent(messageEvent(v), v, ORIGIN, keyFor(originKey.keyId, 9));
    const r = verifyEvent(forged, v, goodKeys);
    expect(r.signaturesOk).toBe(false);
    expect(r.contentHashOk).toBe(false);
    expect(r.failures).toEqual([{ serverName: ORIGIN, keyId: originKey.keyId, reason: "signature does not verify" }]);
    expect(r.missingKeys).toEqual([]);
  });

  it("tampered content: signatures still pass (they cover the redacted form), content hash fails", () => {
    const tampered = { ...signed, content: { msgtype: "m.text", body: "changed" } } as Pdu;
    const r = verifyEvent(tampered, v, goodKeys);
    expect(r.signaturesOk).toBe(true);
    expect(r.contentHashOk).toBe(false);
    expect(r.eventId).toBe(verifyEvent(signed, v, goodKeys).eventId);
  });

  it("tampering with a protected field breaks the signature", () => {
    const r = verifyEvent({ ...signed, depth: 11 } as Pdu, v, goodKeys);
    expect(r.signaturesOk).toBe(false);
  });

  it("an unknown key is reported in missingKeys", () => {
    const r = verifyEvent(signed, v, lookupFrom({}));
    expect(r.signaturesOk).toBe(false);
    expect(r.missingKeys).toEqual([{ serverName: ORIGIN, keyId: originKey.keyId }]);
    expect(r.failures).toEqual([{ serverName: ORIGIN, keyId: originKey.keyId, reason: "unknown key" }]);
  });

  it("a missing signature from the sender's server fails without asking for keys", () => {
    const r = verifyEvent({ ...signed, signatures: {} } as Pdu, v, goodKeys);
    expect(r.signaturesOk).toBe(false);
    expect(r.missingKeys).toEqual([]);
    expect(r.failures).toEqual([{ serverName: ORIGIN, reason: "no signatures from required signer" }]);
  });

  it(`valid_until_ts before origin_server_ts ${v.enforceKeyValidity ? "fails (v5+)" : "is ignored (v1–v4)"}`, () => {
    const stale = lookupFrom({ [ORIGIN]: { [originKey.keyId]: sk(originKey, { validUntilTs: TS - 1 }) } });
    const r = verifyEvent(signed, v, stale);
    expect(r.signaturesOk).toBe(!v.enforceKeyValidity);
    if (v.enforceKeyValidity) {
      expect(r.failures).toEqual([
        { serverName: ORIGIN, keyId: originKey.keyId, reason: "key valid_until_ts is before origin_server_ts" },
      ]);
      // A fresher copy of the key may extend valid_until_ts: ask for it.
      expect(r.missingKeys).toEqual([{ serverName: ORIGIN, keyId: originKey.keyId }]);
    }
    const exact = lookupFrom({ [ORIGIN]: { [originKey.keyId]: sk(originKey, { validUntilTs: TS }) } });
    expect(verifyEvent(signed, v, exact).signaturesOk).toBe(true);
  });

  it("an old_verify_key that expired before the event is skipped; one that expired after is used", () => {
    const expired = lookupFrom({ [ORIGIN]: { [originKey.keyId]: sk(originKey, { expiredTs: TS - 1 }) } });
    const r = verifyEvent(signed, v, expired);
    expect(r.signaturesOk).toBe(false);
    expect(r.missingKeys).toEqual([]);
    expect(r.failures[0]?.reason).toBe("key expired before origin_server_ts");
    const later = lookupFrom({ [ORIGIN]: { [originKey.keyId]: sk(originKey, { expiredTs: TS + 1 }) } });
    expect(verifyEvent(signed, v, later).signaturesOk).toBe(true);
  });
});

describe("signature rules", () => {
  const v = V("10");
  const signed = hashAndSignEvent(messageEvent(v), v, ORIGIN, originKey);

  it("signatures from non-required servers are not checked", () => {
    const extra = { ...signed, signatures: { ...signed.signatures, "other.test": { "ed25519:x": "garbage" } } } as Pdu;
    expect(verifyEvent(extra, v, goodKeys).signaturesOk).toBe(true);
  });

  it("one known key failing fails the signer even when another verifies", () => {
    const twoKeys = addEventSignature(signed, v, ORIGIN, otherKey);
    const lookup = lookupFrom({ [ORIGIN]: { [originKey.keyId]: sk(originKey), [otherKey.keyId]: sk(originKey) } });
    const r = verifyEvent(twoKeys, v, lookup);
    expect(r.signaturesOk).toBe(false);
    expect(r.failures).toEqual([{ serverName: ORIGIN, keyId: otherKey.keyId, reason: "signature does not verify" }]);
  });

  it("unknown keys are skipped when another key verifies", () => {
    const twoKeys = addEventSignature(signed, v, ORIGIN, otherKey);
    const r = verifyEvent(twoKeys, v, goodKeys);
    expect(r).toMatchObject({ signaturesOk: true, missingKeys: [], failures: [] });
  });

  it("skips the policy server key and algorithms other than ed25519", () => {
    const sigs = signed.signatures[ORIGIN]!;
    const withExtras = {
      ...signed,
      signatures: { [ORIGIN]: { ...sigs, "ed25519:policy_server": "AAAA", "curve9:x": "AAAA" } },
    } as Pdu;
    const lookup = lookupFrom({
      [ORIGIN]: { [originKey.keyId]: sk(originKey), "ed25519:policy_server": sk(otherKey) },
    });
    expect(verifyEvent(withExtras, v, lookup)).toMatchObject({ signaturesOk: true, failures: [] });
    const onlyForeign = { ...signed, signatures: { [ORIGIN]: { "curve9:x": "AAAA" } } } as Pdu;
    expect(verifyEvent(onlyForeign, v, lookup).failures).toEqual([
      { serverName: ORIGIN, reason: "no ed25519 signature from required signer" },
    ]);
  });

  it("a malformed signature value fails with a precise reason", () => {
    const bad = { ...signed, signatures: { [ORIGIN]: { [originKey.keyId]: "not*base64" } } } as Pdu;
    expect(verifyEvent(bad, v, goodKeys).failures).toEqual([
      { serverName: ORIGIN, keyId: originKey.keyId, reason: "signature is not valid base64" },
    ]);
  });

  it("verifies a redacted copy of a signed event (signatures survive redaction)", () => {
    const redactedCopy = { ...signed, content: {}, unsigned: { redacted_because: {} } } as Pdu;
    expect(verifyEvent(redactedCopy, v, goodKeys)).toMatchObject({ signaturesOk: true, contentHashOk: false });
  });

  it("v6+: an event that is not strict canonical JSON verifies nothing (and does not throw)", () => {
    const r = verifyEvent({ ...signed, depth: 1.5 } as Pdu, v, goodKeys);
    expect(r.signaturesOk).toBe(false);
    expect(r.failures[0]?.reason).toMatch(/^not encodable as canonical JSON/);
  });
});

describe("required signers", () => {
  it("v1/v2 also require the event_id's server when it differs from the sender's", () => {
    for (const id of ["1", "2"]) {
      const v = V(id);
      const ev = messageEvent(v, { event_id: "$join1:resident.test" });
      expect(requiredSigners(ev as Pdu, v)).toEqual([ORIGIN, "resident.test"]);
      const senderOnly = hashAndSignEvent(ev, v, ORIGIN, originKey);
      const r = verifyEvent(senderOnly, v, goodKeys);
      expect(r.signaturesOk).toBe(false);
      expect(r.failures).toEqual([{ serverName: "resident.test", reason: "no signatures from required signer" }]);
      const both = addEventSignature(senderOnly, v, "resident.test", residentKey);
      expect(verifyEvent(both, v, goodKeys)).toMatchObject({ signaturesOk: true, contentHashOk: true });
      expect(requiredSigners(messageEvent(v) as Pdu, v)).toEqual([ORIGIN]);
    }
    // v3+ have no event_id domain; a stray event_id is not a signer.
    const v3 = V("3");
    expect(requiredSigners(messageEvent(v3, { event_id: "$x:resident.test" }) as Pdu, v3)).toEqual([ORIGIN]);
  });

  const restrictedJoin = (id: string): JsonObject =>
    messageEvent(V(id), {
      type: "m.room.member",
      state_key: "@alice:origin.test",
      content: { membership: "join", join_authorised_via_users_server: "@bob:resident.test" },
    });

  it("v8+ restricted joins also require the authorising user's server", () => {
    for (const id of ["8", "9", "10", "11", "12"]) {
      const v = V(id);
      const ev = restrictedJoin(id) as Pdu;
      expect(requiredSigners(ev, v)).toEqual([ORIGIN, "resident.test"]);
      const joinerOnly = hashAndSignEvent(ev, v, ORIGIN, originKey);
      expect(verifyEvent(joinerOnly, v, goodKeys).signaturesOk).toBe(false);
      const counterSigned = addEventSignature(joinerOnly, v, "resident.test", residentKey);
      expect(verifyEvent(counterSigned, v, goodKeys)).toMatchObject({ signaturesOk: true, contentHashOk: true });
    }
    // Before v8 the field means nothing; and only joins count.
    expect(requiredSigners(restrictedJoin("7") as Pdu, V("7"))).toEqual([ORIGIN]);
    const leave: JsonObject = {
      ...restrictedJoin("9"),
      content: { membership: "leave", join_authorised_via_users_server: "@bob:resident.test" },
    };
    expect(requiredSigners(leave as Pdu, V("9"))).toEqual([ORIGIN]);
  });

  it("a third-party invite does not need the sender's server (it may be sent by another)", () => {
    const v = V("10");
    const invite = messageEvent(v, {
      type: "m.room.member",
      state_key: "@carol:invitee.test",
      content: { membership: "invite", third_party_invite: { display_name: "c", signed: { token: "t" } } },
    }) as Pdu;
    expect(requiredSigners(invite, v)).toEqual([]);
    const plainInvite = { ...invite, content: { membership: "invite" } } as Pdu;
    expect(requiredSigners(plainInvite, v)).toEqual([ORIGIN]);
  });

  it("the same server is required once", () => {
    const v = V("9");
    const ev = messageEvent(v, {
      type: "m.room.member",
      state_key: "@alice:origin.test",
      content: { membership: "join", join_authorised_via_users_server: "@admin:origin.test" },
    }) as Pdu;
    expect(requiredSigners(ev, v)).toEqual([ORIGIN]);
  });
});
