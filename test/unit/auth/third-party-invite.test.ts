import { describe, expect, it } from "vitest";
import { encodeBase64, encodeBase64Url } from "../../../src/events/base64.js";
import { signJson, signingKeyFromSeed } from "../../../src/events/signing-json.js";
import type { JsonObject } from "../../../src/events/types.js";
import { ALICE, ALL_VERSIONS, BOB, CAROL, TestRoom, reasonOf, creatorUsers } from "./fixtures.js";

const isKey = signingKeyFromSeed("ed25519:0", Buffer.alloc(32, 7));
const otherKey = signingKeyFromSeed("ed25519:0", Buffer.alloc(32, 9));
const TOKEN = "tok123";

function signedBlock(mxid: string, key = isKey, token = TOKEN): JsonObject {
  return signJson({ mxid, token }, "id.example", key);
}

/** A room where ALICE issued a third-party invite for TOKEN with `inviteContent`. */
function room3pid(id: string, inviteContent: JsonObject = { public_key: encodeBase64(isKey.publicKey) }): TestRoom {
  const room = new TestRoom(id);
  room.put(room.event({
    type: "m.room.third_party_invite",
    stateKey: TOKEN,
    sender: ALICE,
    content: { display_name: "b…@example.org", key_validity_url: "https://id.example/isvalid", ...inviteContent },
  }));
  return room;
}

function invite(room: TestRoom, sender: string, target: string, signed: JsonObject | undefined): ReturnType<TestRoom["check"]> {
  const tpi: JsonObject = { display_name: "b…@example.org" };
  if (signed) tpi["signed"] = signed;
  return room.checkMember(sender, target, "invite", { third_party_invite: tpi });
}

describe("m.room.member invite with third_party_invite", () => {
  it.each(ALL_VERSIONS)("v%s: a token signed with the invite's public key is accepted", (id) => {
    expect(invite(room3pid(id), ALICE, BOB, signedBlock(BOB))).toEqual({ allowed: true });
  });

  it.each(ALL_VERSIONS)("v%s: a forged signature (another key) is rejected", (id) => {
    expect(reasonOf(invite(room3pid(id), ALICE, BOB, signedBlock(BOB, otherKey)))).toMatch(/no signature in signed matches a public key/);
  });

  it.each(ALL_VERSIONS)("v%s: a signed block altered after signing is rejected", (id) => {
    const tampered = { ...signedBlock(CAROL), mxid: BOB };
    expect(reasonOf(invite(room3pid(id), ALICE, BOB, tampered))).toMatch(/no signature in signed matches a public key/);
  });

  it("a key from public_keys, in URL-safe base64, is accepted", () => {
    const room = room3pid("10", { public_key: encodeBase64(otherKey.publicKey), public_keys: [{ public_key: encodeBase64Url(isKey.publicKey) }] });
    expect(invite(room, ALICE, BOB, signedBlock(BOB)).allowed).toBe(true);
  });

  it("signatures under non-ed25519 key IDs are not considered", () => {
    const signed = signedBlock(BOB);
    const sigs = signed["signatures"] as Record<string, Record<string, string>>;
    const renamed = { ...signed, signatures: { "id.example": { "curve25519:0": sigs["id.example"]!["ed25519:0"]! } } };
    expect(invite(room3pid("10"), ALICE, BOB, renamed).allowed).toBe(false);
  });

  it.each(ALL_VERSIONS)("v%s: a banned target is rejected", (id) => {
    const room = room3pid(id);
    room.member(BOB, "ban", ALICE);
    expect(reasonOf(invite(room, ALICE, BOB, signedBlock(BOB)))).toMatch(/third party\): target user is banned/);
  });

  it("missing signed, mxid or token is rejected", () => {
    const room = room3pid("10");
    expect(reasonOf(invite(room, ALICE, BOB, undefined))).toMatch(/has no signed object/);
    expect(reasonOf(invite(room, ALICE, BOB, signJson({ token: TOKEN }, "id.example", isKey)))).toMatch(/lacks mxid or token/);
    expect(reasonOf(invite(room, ALICE, BOB, signJson({ mxid: BOB }, "id.example", isKey)))).toMatch(/lacks mxid or token/);
  });

  it("mxid must match the state_key", () => {
    expect(reasonOf(invite(room3pid("10"), ALICE, BOB, signedBlock(CAROL)))).toMatch(/signed.mxid does not match state_key/);
  });

  it("the token must name an m.room.third_party_invite in the state", () => {
    expect(reasonOf(invite(room3pid("10"), ALICE, BOB, signedBlock(BOB, isKey, "other")))).toMatch(/no m.room.third_party_invite for the token/);
  });

  it("the sender must be the sender of the m.room.third_party_invite", () => {
    const room = room3pid("10");
    room.member(CAROL, "join");
    expect(reasonOf(invite(room, CAROL, BOB, signedBlock(BOB)))).toMatch(/sender does not match the m.room.third_party_invite sender/);
  });
});

describe("m.room.third_party_invite events", () => {
  it.each(ALL_VERSIONS)("v%s: allowed iff the sender has the invite level", (id) => {
    const room = new TestRoom(id, { joined: [BOB] });
    const creator = creatorUsers(room);
    room.powerLevels({ users: creator, invite: 10, state_default: 0 });
    const ev = (sender: string) => room.event({ type: "m.room.third_party_invite", stateKey: "t", sender, content: { display_name: "x", key_validity_url: "u", public_key: "k" } });
    expect(reasonOf(room.check(ev(BOB)))).toMatch(/m.room.third_party_invite: sender power level is below the invite level/);
    expect(room.check(ev(ALICE)).allowed).toBe(true);
    room.powerLevels({ users: { ...creator, [BOB]: 10 }, invite: 10, state_default: 100 });
    // The invite level decides, not the (higher) state_default.
    expect(room.check(ev(BOB)).allowed).toBe(true);
  });
});
