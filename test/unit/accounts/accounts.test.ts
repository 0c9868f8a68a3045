import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimLocalKeys } from "../../../src/accounts/e2e/claim-keys.js";
import { queryLocalKeys } from "../../../src/accounts/e2e/query-keys.js";
import {
  crossSigningUploadNeedsAuth,
  parseCrossSigningUpload,
  uploadCrossSigningKeys,
} from "../../../src/accounts/e2e/upload-cross-signing.js";
import { uploadKeys } from "../../../src/accounts/e2e/upload-keys.js";
import { uploadSignatures } from "../../../src/accounts/e2e/upload-signatures.js";
import { deviceListEdu } from "../../../src/accounts/device-list-edus.js";
import { isMatrixError } from "../../../src/errors.js";
import { signJson } from "../../../src/events/signing-json.js";
import type { JsonObject } from "../../../src/events/types.js";
import { crossSigningSet, fallbackKey, oneTimeKeys, testDevice } from "./fixtures.js";
import { accountsHarness, SERVER, type AccountsHarness } from "./harness.js";

const alice = `@alice:${SERVER}`;
const bob = `@bob:${SERVER}`;

async function errcodeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (isMatrixError(e)) return e.errcode;
    throw e;
  }
}

describe("accounts: users, devices, tokens", () => {
  let h: AccountsHarness;
  beforeAll(() => {
    h = accountsHarness();
  });
  afterAll(async () => h?.close());

  it("registers once per user ID, even when two registrations race", async () => {
    const results = await Promise.allSettled([
      h.accounts.register({ userId: alice, password: "pw-alice" }),
      h.accounts.register({ userId: alice, password: "other" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await errcodeOf(h.accounts.register({ userId: alice, password: "x" }))).toBe("M_USER_IN_USE");
    expect(h.accounts.profiles.get(alice)).toEqual({ displayname: "alice" });
    const winner = results.find((r) => r.status === "fulfilled");
    expect(winner).toBeDefined();
  });

  it("checks passwords and treats unknown users as wrong passwords", async () => {
    const ok = (await h.accounts.checkPassword(alice, "pw-alice")) || (await h.accounts.checkPassword(alice, "other"));
    expect(ok).toBe(true);
    expect(await h.accounts.checkPassword(alice, "nope")).toBe(false);
    expect(await h.accounts.checkPassword(`@ghost:${SERVER}`, "pw")).toBe(false);
  });

  it("binds one token per device; logging in again on a device revokes its old token", async () => {
    const first = await h.accounts.login(alice, { deviceId: "PHONE", displayName: "Phone" });
    expect(h.accounts.authenticate(first.accessToken)).toMatchObject({ userId: alice, deviceId: "PHONE" });
    const second = await h.accounts.login(alice, { deviceId: "PHONE", displayName: "ignored" });
    expect(h.accounts.authenticate(first.accessToken)).toBeUndefined();
    expect(h.accounts.authenticate(second.accessToken)).toMatchObject({ deviceId: "PHONE" });
    expect(h.accounts.devices.get(alice, "PHONE")?.displayName).toBe("Phone");
    const generated = await h.accounts.login(alice);
    expect(generated.deviceId).toMatch(/^[A-Z]{10}$/);
    expect(h.accounts.devices.list(alice).map((d) => d.deviceId)).toContain(generated.deviceId);
  });

  it("deletes a device with its token and keys", async () => {
    const session = await h.accounts.login(alice, { deviceId: "DOOMED" });
    const device = testDevice(alice, "DOOMED");
    await uploadKeys(h.accounts, alice, "DOOMED", { device_keys: device.deviceKeys, one_time_keys: oneTimeKeys(device, 3), fallback_keys: fallbackKey(device, "f") });
    expect(h.accounts.deviceKeys.get(alice, "DOOMED")).toBeDefined();
    expect(await h.accounts.deleteDevices(alice, ["DOOMED", "NOT-THERE"])).toEqual(["DOOMED"]);
    expect(h.accounts.authenticate(session.accessToken)).toBeUndefined();
    expect(h.accounts.deviceKeys.get(alice, "DOOMED")).toBeUndefined();
    expect(h.accounts.oneTimeKeys.counts(alice, "DOOMED")).toEqual({});
    expect(h.accounts.fallbackKeys.unusedTypes(alice, "DOOMED")).toEqual([]);
  });

  it("refuses a device ID equal to a cross-signing key ID", async () => {
    const cs = crossSigningSet(alice);
    await uploadCrossSigningKeys(h.accounts, alice, parseCrossSigningUpload(alice, { master_key: cs.masterKey }));
    expect(await errcodeOf(h.accounts.login(alice, { deviceId: cs.master.publicKeyB64 }))).toBe("M_FORBIDDEN");
  });
});

describe("accounts: device-list stream", () => {
  let h: AccountsHarness;
  beforeAll(async () => {
    h = accountsHarness();
    await h.accounts.register({ userId: bob, password: "pw" });
  });
  afterAll(async () => h?.close());

  it("chains a user's device changes and keeps cross-signing changes out of the chain", async () => {
    const notified: number[] = [];
    const off = h.accounts.deviceLists.onChange((p) => notified.push(p));
    const start = h.accounts.deviceLists.position();
    await h.accounts.login(bob, { deviceId: "D1" });
    await h.accounts.login(bob, { deviceId: "D2" });
    const cs = crossSigningSet(bob);
    await uploadCrossSigningKeys(h.accounts, bob, parseCrossSigningUpload(bob, { master_key: cs.masterKey, self_signing_key: cs.selfSigningKey }));
    await h.accounts.renameDevice(bob, "D1", "Laptop");
    await h.accounts.deleteDevices(bob, ["D2"]);
    off();

    const changes = h.accounts.deviceLists.since(start, 100);
    expect(changes.map((c) => c.deviceId)).toEqual(["D1", "D2", null, "D1", "D2"]);
    const positions = changes.map((c) => c.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(changes[0]!.prevId).toBeNull();
    expect(changes[1]!.prevId).toBe(changes[0]!.position);
    expect(changes[2]!.prevId).toBeNull();
    // The signing-key entry does not advance the device chain.
    expect(changes[3]!.prevId).toBe(changes[1]!.position);
    expect(h.accounts.deviceLists.streamId(bob)).toBe(changes[4]!.position);
    expect(notified.at(-1)).toBe(h.accounts.deviceLists.position());
    expect([...h.accounts.deviceLists.changedUsers(start)]).toEqual([bob]);
    expect(h.accounts.deviceLists.changedUsers(h.accounts.deviceLists.position()).size).toBe(0);

    const deleted = deviceListEdu(h.accounts, changes[4]!);
    expect(deleted).toEqual({
      edu_type: "m.device_list_update",
      content: { user_id: bob, device_id: "D2", stream_id: changes[4]!.position, prev_id: [changes[3]!.position], deleted: true },
    });
    const signing = deviceListEdu(h.accounts, changes[2]!);
    expect(signing?.edu_type).toBe("m.signing_key_update");
    expect(signing?.content).toMatchObject({ user_id: bob, master_key: cs.masterKey, self_signing_key: cs.selfSigningKey });
  });
});

describe("accounts: end-to-end keys", () => {
  let h: AccountsHarness;
  const carol = `@carol:${SERVER}`;
  const dave = `@dave:${SERVER}`;
  const device = testDevice(carol, "CAROLDEV");

  beforeAll(async () => {
    h = accountsHarness();
    await h.accounts.register({ userId: carol, password: "pw", session: { deviceId: "CAROLDEV" } });
    await h.accounts.register({ userId: dave, password: "pw", session: { deviceId: "DAVEDEV" } });
  });
  afterAll(async () => h?.close());

  it("takes self-signed device keys for the caller's own device only", async () => {
    const other = testDevice(carol, "OTHER");
    expect(await errcodeOf(uploadKeys(h.accounts, carol, "CAROLDEV", { device_keys: other.deviceKeys }))).toBe("M_INVALID_PARAM");
    const forged: JsonObject = { ...device.deviceKeys, algorithms: ["tampered"] };
    expect(await errcodeOf(uploadKeys(h.accounts, carol, "CAROLDEV", { device_keys: forged }))).toBe("M_INVALID_PARAM");
    expect(await errcodeOf(uploadKeys(h.accounts, carol, "CAROLDEV", { device_keys: { user_id: carol } }))).toBe("M_BAD_JSON");
    const counts = await uploadKeys(h.accounts, carol, "CAROLDEV", { device_keys: device.deviceKeys });
    expect(counts).toEqual({ signed_curve25519: 0 });
    expect(h.accounts.deviceKeys.get(carol, "CAROLDEV")).toEqual(device.deviceKeys);
  });

  it("hands out each one-time key once, oldest upload first, then the fallback key", async () => {
    const early = oneTimeKeys(device, 5, "a");
    const late = oneTimeKeys(device, 5, "b");
    expect(await uploadKeys(h.accounts, carol, "CAROLDEV", { one_time_keys: early })).toEqual({ signed_curve25519: 5 });
    expect(await uploadKeys(h.accounts, carol, "CAROLDEV", { one_time_keys: late, fallback_keys: fallbackKey(device, "fb") })).toEqual({
      signed_curve25519: 10,
    });
    // Same ID and key again: ignored. Same ID, different key: refused.
    expect(await uploadKeys(h.accounts, carol, "CAROLDEV", { one_time_keys: { "signed_curve25519:a0": early["signed_curve25519:a0"]! } })).toEqual({
      signed_curve25519: 10,
    });
    expect(await errcodeOf(uploadKeys(h.accounts, carol, "CAROLDEV", { one_time_keys: { "signed_curve25519:a0": late["signed_curve25519:b0"]! } }))).toBe(
      "M_INVALID_PARAM",
    );
    expect(h.accounts.fallbackKeys.unusedTypes(carol, "CAROLDEV")).toEqual(["signed_curve25519"]);

    const request = new Map([[carol, new Map([["CAROLDEV", "signed_curve25519"]])]]);
    const claims = await Promise.all(Array.from({ length: 14 }, () => claimLocalKeys(h.accounts, request)));
    const names = claims.map((c) => Object.keys(c[carol]!.CAROLDEV!)[0]!);
    const oneTime = names.filter((n) => !n.endsWith(":fb"));
    expect(new Set(oneTime).size).toBe(10);
    expect(oneTime.slice(0, 5).every((n) => n.includes(":a"))).toBe(true);
    expect(names.filter((n) => n.endsWith(":fb"))).toHaveLength(4);
    expect(h.accounts.oneTimeKeys.counts(carol, "CAROLDEV")).toEqual({});
    expect(h.accounts.fallbackKeys.unusedTypes(carol, "CAROLDEV")).toEqual([]);
    // Unknown device or algorithm: nothing.
    expect(await claimLocalKeys(h.accounts, new Map([[carol, new Map([["NOPE", "signed_curve25519"], ["CAROLDEV", "other_alg"]])]]))).toEqual({});
  });

  it("serves cross-signing keys and signatures with the right visibility", async () => {
    const cs = crossSigningSet(carol);
    const upload = parseCrossSigningUpload(carol, { master_key: cs.masterKey, self_signing_key: cs.selfSigningKey, user_signing_key: cs.userSigningKey });
    expect(crossSigningUploadNeedsAuth(h.accounts, carol, upload)).toBe(false);
    await uploadCrossSigningKeys(h.accounts, carol, upload);
    expect(crossSigningUploadNeedsAuth(h.accounts, carol, upload)).toBe(false);
    const replacement = crossSigningSet(carol);
    expect(crossSigningUploadNeedsAuth(h.accounts, carol, parseCrossSigningUpload(carol, { master_key: replacement.masterKey }))).toBe(true);
    // A self-signing key the master did not sign is refused.
    const stray = crossSigningSet(carol);
    expect(await errcodeOf(uploadCrossSigningKeys(h.accounts, carol, parseCrossSigningUpload(carol, { self_signing_key: stray.selfSigningKey })))).toBe(
      "M_INVALID_PARAM",
    );

    // Carol's self-signing key signs her device; Carol's user-signing key signs Dave's master.
    const daveCs = crossSigningSet(dave);
    await uploadCrossSigningKeys(h.accounts, dave, parseCrossSigningUpload(dave, { master_key: daveCs.masterKey }));
    const failures = await uploadSignatures(h.accounts, carol, {
      [carol]: { CAROLDEV: signJson(device.deviceKeys, carol, cs.selfSigning), UNKNOWN: { user_id: carol } },
      [dave]: { [daveCs.master.publicKeyB64]: signJson(daveCs.masterKey, carol, cs.userSigning) },
    });
    expect(failures).toEqual({ [carol]: { UNKNOWN: { errcode: "M_NOT_FOUND", error: expect.any(String) as string } } });
    const forged = await uploadSignatures(h.accounts, carol, {
      [carol]: { CAROLDEV: signJson(device.deviceKeys, carol, stray.selfSigning) },
    });
    expect(forged[carol]?.CAROLDEV?.errcode).toBe("M_INVALID_SIGNATURE");

    const asCarol = queryLocalKeys(h.accounts, new Map([[carol, []], [dave, []]]), { viewer: carol, deviceNames: true });
    const served = asCarol.device_keys[carol]!.CAROLDEV!;
    expect((served.signatures as Record<string, Record<string, string>>)[carol]![`ed25519:${cs.selfSigning.publicKeyB64}`]).toBeDefined();
    expect(asCarol.user_signing_keys[carol]).toEqual(cs.userSigningKey);
    expect((asCarol.master_keys[dave]!.signatures as Record<string, unknown>)[carol]).toBeDefined();
    const asDave = queryLocalKeys(h.accounts, new Map([[carol, []], [dave, []]]), { viewer: dave, deviceNames: false });
    expect(asDave.user_signing_keys[carol]).toBeUndefined();
    expect(asDave.master_keys[dave]!.signatures).toBeUndefined();
    expect(asDave.self_signing_keys[carol]).toEqual(cs.selfSigningKey);
  });
});
