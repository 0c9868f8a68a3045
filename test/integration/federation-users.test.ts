/**
 * Federation endpoints about users, both directions, against a FakeRemote:
 * - the remote asks Conflux: /user/devices, /user/keys/query, /user/keys/claim, /query/profile;
 * - Conflux's clients ask about the remote's users: /keys/query, /keys/claim and /profile go
 *   out over federation, failures are reported, foreign entries in answers are dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject, JsonValue } from "../../src/events/types.js";
import { conflux, FakeRemote } from "../helpers/fake-remote.js";
import { request, type TestResponse } from "../helpers/http.js";
import type { TestServer } from "../helpers/server.js";
import { crossSigningSet, fallbackKey, oneTimeKeys, testDevice } from "../unit/accounts/fixtures.js";

const V3 = "/_matrix/client/v3";
const F1 = "/_matrix/federation/v1";

let remote: FakeRemote;
let server: TestServer;
let alice: { user_id: string; access_token: string; device_id: string };

function client(path: string, body?: object, token = alice.access_token, method?: string): Promise<TestResponse> {
  return request(`${server.clientUrl}${path}`, {
    method: method ?? (body ? "POST" : "GET"),
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    ...(body ? { body } : {}),
  });
}

async function registerAlice(): Promise<typeof alice> {
  const body = { username: "alice", password: "pw", device_id: "ALICEDEV", initial_device_display_name: "Alice's phone" };
  const first = await client(`${V3}/register`, body, "");
  const session = first.json<{ session: string }>().session;
  return (await client(`${V3}/register`, { ...body, auth: { type: "m.login.dummy", session } }, "")).json<typeof alice>();
}

beforeAll(async () => {
  remote = await FakeRemote.start();
  server = await conflux([remote], { overrides: { registration: { open: true }, limits: { client_rate_per_second: 1000, client_rate_burst: 1000 } } });
  alice = await registerAlice();
});
afterAll(async () => {
  await server?.stop();
  await remote?.stop();
});

describe("remote server asks about our users", () => {
  const device = () => testDevice(alice.user_id, "ALICEDEV");
  let keys: ReturnType<typeof testDevice>;
  let cs: ReturnType<typeof crossSigningSet>;

  beforeAll(async () => {
    keys = device();
    cs = crossSigningSet(alice.user_id);
    expect(
      (await client(`${V3}/keys/upload`, { device_keys: keys.deviceKeys, one_time_keys: oneTimeKeys(keys, 2), fallback_keys: fallbackKey(keys, "fb") })).status,
    ).toBe(200);
    expect((await client(`${V3}/keys/device_signing/upload`, { master_key: cs.masterKey, self_signing_key: cs.selfSigningKey, user_signing_key: cs.userSigningKey })).status).toBe(200);
  });

  it("GET /user/devices lists devices with keys, the stream ID and the public cross-signing keys", async () => {
    const res = await remote.send(server, "GET", `${F1}/user/devices/${encodeURIComponent(alice.user_id)}`);
    expect(res.status).toBe(200);
    const body = res.json<JsonObject>();
    expect(body).toEqual({
      user_id: alice.user_id,
      stream_id: expect.any(Number) as number,
      devices: [{ device_id: "ALICEDEV", keys: keys.deviceKeys }],
      master_key: cs.masterKey,
      self_signing_key: cs.selfSigningKey,
    });
    expect(body.stream_id).toBeGreaterThan(0);
    const unknown = await remote.send(server, "GET", `${F1}/user/devices/${encodeURIComponent(`@nobody:${server.serverName}`)}`);
    expect(unknown.status).toBe(404);
    const foreign = await remote.send(server, "GET", `${F1}/user/devices/${encodeURIComponent(remote.userId("x"))}`);
    expect(foreign.status).toBe(400);
  });

  it("POST /user/keys/query returns device keys without display names and no user-signing key", async () => {
    const res = await remote.send(server, "POST", `${F1}/user/keys/query`, { device_keys: { [alice.user_id]: [], [remote.userId("x")]: [] } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      device_keys: { [alice.user_id]: { ALICEDEV: keys.deviceKeys } },
      master_keys: { [alice.user_id]: cs.masterKey },
      self_signing_keys: { [alice.user_id]: cs.selfSigningKey },
    });
    const bad = await remote.send(server, "POST", `${F1}/user/keys/query`, { device_keys: "nope" });
    expect(bad.status).toBe(400);
  });

  it("POST /user/keys/claim hands out each one-time key once, then the fallback key", async () => {
    const claim = async (): Promise<string> => {
      const res = await remote.send(server, "POST", `${F1}/user/keys/claim`, { one_time_keys: { [alice.user_id]: { ALICEDEV: "signed_curve25519" } } });
      expect(res.status).toBe(200);
      return Object.keys(res.json<{ one_time_keys: Record<string, Record<string, object>> }>().one_time_keys[alice.user_id]!.ALICEDEV!)[0]!;
    };
    const got = await Promise.all([claim(), claim()]);
    expect(new Set(got).size).toBe(2);
    expect(got.every((k) => k.startsWith("signed_curve25519:k"))).toBe(true);
    expect(await claim()).toBe("signed_curve25519:fb");
  });

  it("GET /query/profile returns the profile or one field, 404 for unknown users and unset fields", async () => {
    await client(`${V3}/profile/${encodeURIComponent(alice.user_id)}/avatar_url`, { avatar_url: "mxc://x.org/abc" }, alice.access_token, "PUT");
    const q = (query: string) => remote.send(server, "GET", `${F1}/query/profile?${query}`);
    const uid = encodeURIComponent(alice.user_id);
    expect((await q(`user_id=${uid}`)).json()).toEqual({ displayname: "alice", avatar_url: "mxc://x.org/abc" });
    expect((await q(`user_id=${uid}&field=displayname`)).json()).toEqual({ displayname: "alice" });
    const unset = await q(`user_id=${uid}&field=m.tz`);
    expect(unset.status).toBe(404);
    expect(unset.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
    expect((await q(`user_id=${encodeURIComponent(`@ghost:${server.serverName}`)}`)).status).toBe(404);
    expect((await q(`user_id=${encodeURIComponent(remote.userId("x"))}`)).status).toBe(400);
    expect((await q("field=displayname")).status).toBe(400);
  });
});

describe("our clients ask about remote users", () => {
  const bob = () => remote.userId("bob");
  let bobDevice: ReturnType<typeof testDevice>;

  beforeAll(() => {
    bobDevice = testDevice(bob(), "BOBDEV");
    const bobMaster = crossSigningSet(bob()).masterKey;
    const intruder = testDevice("@mallory:evil.example", "EVIL");
    remote.on("POST", `${F1}/user/keys/query`, (req) => {
      const requested = Object.keys((req.body as { device_keys: Record<string, unknown> }).device_keys);
      expect(requested).toEqual([bob()]);
      return {
        device_keys: {
          [bob()]: { BOBDEV: bobDevice.deviceKeys, LIAR: bobDevice.deviceKeys },
          "@mallory:evil.example": { EVIL: intruder.deviceKeys },
        },
        master_keys: { [bob()]: bobMaster },
      } as unknown as JsonValue;
    });
    remote.on("POST", `${F1}/user/keys/claim`, () => ({
      one_time_keys: { [bob()]: { BOBDEV: { "signed_curve25519:AAAA": { key: "abc", signatures: {} } } } },
    }));
    remote.on("GET", `${F1}/query/profile`, (req) => {
      const field = req.query.get("field");
      const profile: JsonObject = { displayname: "Bob", avatar_url: null };
      return field === null ? profile : field in profile ? { [field]: profile[field]! } : {};
    });
  });

  it("/keys/query fans out to the user's server, keeps only its own consistent entries and reports unreachable servers", async () => {
    const res = await client(`${V3}/keys/query`, { device_keys: { [bob()]: [], "@carol:127.0.0.1:1": [] }, timeout: 5000 });
    expect(res.status).toBe(200);
    const body = res.json<{ failures: Record<string, unknown>; device_keys: Record<string, unknown>; master_keys: Record<string, unknown> }>();
    expect(body.device_keys).toEqual({ [bob()]: { BOBDEV: bobDevice.deviceKeys } });
    expect(Object.keys(body.master_keys)).toEqual([bob()]);
    expect(Object.keys(body.failures)).toEqual(["127.0.0.1:1"]);
  });

  it("/keys/claim asks the remote server", async () => {
    const res = await client(`${V3}/keys/claim`, { one_time_keys: { [bob()]: { BOBDEV: "signed_curve25519" } } });
    expect(res.json()).toEqual({
      failures: {},
      one_time_keys: { [bob()]: { BOBDEV: { "signed_curve25519:AAAA": { key: "abc", signatures: {} } } } },
    });
  });

  it("GET /profile of a remote user goes over federation; null fields count as unset", async () => {
    const uid = encodeURIComponent(bob());
    expect((await client(`${V3}/profile/${uid}`)).json()).toEqual({ displayname: "Bob" });
    expect((await client(`${V3}/profile/${uid}/displayname`)).json()).toEqual({ displayname: "Bob" });
    const avatar = await client(`${V3}/profile/${uid}/avatar_url`);
    expect(avatar.status).toBe(404);
    const asked = remote.received.filter((r) => r.path === `${F1}/query/profile`).map((r) => r.query.get("user_id"));
    expect(asked.every((u) => u === bob())).toBe(true);
  });
});
