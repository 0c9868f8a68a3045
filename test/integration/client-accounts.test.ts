/**
 * Accounts over real HTTP against one Conflux with open registration: registration (UIA
 * dummy flow), login, whoami, logout, token errors, devices, profiles (with member-event
 * propagation), capabilities, and end-to-end keys.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRoomVersion } from "../../src/events/room-versions.js";
import { signJson } from "../../src/events/signing-json.js";
import type { JsonObject } from "../../src/events/types.js";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import { request, type TestResponse } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { crossSigningSet, fallbackKey, oneTimeKeys, testDevice } from "../unit/accounts/fixtures.js";

const V3 = "/_matrix/client/v3";

let server: TestServer;

interface CallOptions {
  readonly token?: string;
  readonly body?: object;
  readonly method?: string;
}

function call(path: string, opts: CallOptions = {}): Promise<TestResponse> {
  return request(`${server.clientUrl}${path}`, {
    method: opts.method ?? (opts.body !== undefined ? "POST" : "GET"),
    headers: {
      ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { "Content-Type": "application/json" } : {}),
    },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
}

interface Session {
  user_id: string;
  access_token: string;
  device_id: string;
}

/** Register through the full dummy flow. */
async function register(body: Record<string, unknown>): Promise<Session> {
  const challenge = await call(`${V3}/register`, { body });
  expect(challenge.status).toBe(401);
  const session = challenge.json<{ session: string }>().session;
  const res = await call(`${V3}/register`, { body: { ...body, auth: { type: "m.login.dummy", session } } });
  expect(res.status).toBe(200);
  return res.json<Session>();
}

async function login(user: string, password: string, extra: Record<string, unknown> = {}): Promise<TestResponse> {
  return call(`${V3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password, ...extra } });
}

beforeAll(async () => {
  server = await startTestServer({
    overrides: { registration: { open: true }, limits: { client_rate_per_second: 1000, client_rate_burst: 1000 } },
  });
});
afterAll(async () => {
  await server?.stop();
});

describe("registration", () => {
  it("runs the user-interactive dummy flow and logs the new user in", async () => {
    const challenge = await call(`${V3}/register`, { body: { username: "alice", password: "wonderland" } });
    expect(challenge.status).toBe(401);
    const uia = challenge.json<Record<string, unknown>>();
    expect(uia).toEqual({ flows: [{ stages: ["m.login.dummy"] }], params: {}, session: expect.any(String) as string });

    const res = await call(`${V3}/register`, {
      body: { username: "Alice", password: "wonderland", device_id: "ALICEPHONE", initial_device_display_name: "Phone", auth: { type: "m.login.dummy", session: uia.session } },
    });
    expect(res.status).toBe(200);
    const body = res.json<Session>();
    expect(body).toEqual({ user_id: `@alice:${server.serverName}`, access_token: expect.any(String) as string, device_id: "ALICEPHONE" });
    const who = await call(`${V3}/account/whoami`, { token: body.access_token });
    expect(who.json()).toEqual({ user_id: body.user_id, device_id: "ALICEPHONE", is_guest: false });
  });

  it("checks the username before user-interactive auth", async () => {
    const taken = await call(`${V3}/register`, { body: { username: "alice", password: "x" } });
    expect(taken.status).toBe(400);
    expect(taken.json()).toMatchObject({ errcode: "M_USER_IN_USE" });
    const invalid = await call(`${V3}/register`, { body: { username: "not valid!", password: "x" } });
    expect(invalid.status).toBe(400);
    expect(invalid.json()).toMatchObject({ errcode: "M_INVALID_USERNAME" });

    expect((await call(`${V3}/register/available?username=ALICE`)).json()).toMatchObject({ errcode: "M_USER_IN_USE" });
    expect((await call(`${V3}/register/available?username=%20x`)).json()).toMatchObject({ errcode: "M_INVALID_USERNAME" });
    const free = await call(`${V3}/register/available?username=nobody`);
    expect(free.status).toBe(200);
    expect(free.json()).toEqual({ available: true });
  });

  it("honours inhibit_login, generates a user ID when none is asked for, and refuses guests", async () => {
    const inhibited = await register({ username: "quiet", password: "pw", inhibit_login: true });
    expect(inhibited).toEqual({ user_id: `@quiet:${server.serverName}` });
    const generated = await register({ password: "pw" });
    expect(generated.user_id).toMatch(new RegExp(`^@[a-z0-9]+:${server.serverName.replace(/\./g, "\\.")}$`));
    expect(generated.access_token).toBeTruthy();
    const guest = await call(`${V3}/register?kind=guest`, { body: {} });
    expect(guest.status).toBe(403);
    expect(guest.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
  });
});

describe("login, tokens, logout", () => {
  beforeAll(async () => {
    await register({ username: "bob", password: "builder", inhibit_login: true });
  });

  it("lists the password flow and logs in by localpart, user ID or legacy user field", async () => {
    expect((await call(`${V3}/login`)).json()).toEqual({ flows: [{ type: "m.login.password" }] });
    const byLocalpart = await login("bob", "builder");
    expect(byLocalpart.status).toBe(200);
    expect(byLocalpart.json()).toMatchObject({ user_id: `@bob:${server.serverName}`, access_token: expect.any(String) as string, device_id: expect.any(String) as string });
    const legacy = await call(`${V3}/login`, { body: { type: "m.login.password", user: `@bob:${server.serverName}`, password: "builder" } });
    expect(legacy.status).toBe(200);
  });

  it("answers bad credentials and login types with the spec's errors", async () => {
    for (const res of [await login("bob", "wrong"), await login("nobody", "builder")]) {
      expect(res.status).toBe(403);
      expect(res.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
    }
    const badType = await call(`${V3}/login`, { body: { type: "m.login.token", token: "x" } });
    expect(badType.status).toBe(400);
    expect(badType.json()).toMatchObject({ errcode: "M_UNKNOWN" });
    const foreign = await login("@bob:elsewhere.example", "builder");
    expect(foreign.status).toBe(403);
  });

  it("accepts the token as a bearer header or query parameter and rejects missing or unknown ones", async () => {
    const { access_token } = (await login("bob", "builder")).json<Session>();
    expect((await call(`${V3}/account/whoami?access_token=${encodeURIComponent(access_token)}`)).status).toBe(200);
    const missing = await call(`${V3}/account/whoami`);
    expect(missing.status).toBe(401);
    expect(missing.json()).toMatchObject({ errcode: "M_MISSING_TOKEN" });
    const unknown = await call(`${V3}/account/whoami`, { token: "cfx_not-a-token" });
    expect(unknown.status).toBe(401);
    expect(unknown.json()).toMatchObject({ errcode: "M_UNKNOWN_TOKEN" });
  });

  it("logout deletes the token and the device; logout/all every one", async () => {
    const a = (await login("bob", "builder", { device_id: "BOBA" })).json<Session>();
    const b = (await login("bob", "builder", { device_id: "BOBB" })).json<Session>();
    expect((await call(`${V3}/logout`, { token: a.access_token, body: {} })).status).toBe(200);
    expect((await call(`${V3}/account/whoami`, { token: a.access_token })).json()).toMatchObject({ errcode: "M_UNKNOWN_TOKEN" });
    const devices = (await call(`${V3}/devices`, { token: b.access_token })).json<{ devices: { device_id: string }[] }>().devices;
    expect(devices.map((d) => d.device_id)).not.toContain("BOBA");
    expect(devices.map((d) => d.device_id)).toContain("BOBB");
    expect((await call(`${V3}/logout/all`, { token: b.access_token, body: {} })).status).toBe(200);
    expect((await call(`${V3}/account/whoami`, { token: b.access_token })).status).toBe(401);
    const fresh = (await login("bob", "builder")).json<Session>();
    expect((await call(`${V3}/devices`, { token: fresh.access_token })).json<{ devices: unknown[] }>().devices).toHaveLength(1);
  });
});

describe("devices", () => {
  let carol: Session;
  beforeAll(async () => {
    carol = await register({ username: "carol", password: "secret", device_id: "CAROL1", initial_device_display_name: "Desk" });
  });

  it("lists, reads and renames devices", async () => {
    const list = (await call(`${V3}/devices`, { token: carol.access_token })).json<{ devices: JsonObject[] }>().devices;
    expect(list).toEqual([expect.objectContaining({ device_id: "CAROL1", display_name: "Desk", last_seen_ip: expect.any(String) as string })]);
    expect((await call(`${V3}/devices/CAROL1`, { token: carol.access_token, method: "PUT", body: { display_name: "Desktop" } })).status).toBe(200);
    expect((await call(`${V3}/devices/CAROL1`, { token: carol.access_token })).json()).toMatchObject({ device_id: "CAROL1", display_name: "Desktop" });
    const missing = await call(`${V3}/devices/NOPE`, { token: carol.access_token });
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
    expect((await call(`${V3}/devices/NOPE`, { token: carol.access_token, method: "PUT", body: { display_name: "x" } })).status).toBe(404);
  });

  it("deletes devices only after password authentication", async () => {
    const other = (await login("carol", "secret", { device_id: "CAROL2" })).json<Session>();
    const challenge = await call(`${V3}/devices/CAROL2`, { token: carol.access_token, method: "DELETE" });
    expect(challenge.status).toBe(401);
    const { session, flows } = challenge.json<{ session: string; flows: unknown }>();
    expect(flows).toEqual([{ stages: ["m.login.password"] }]);
    const identifier = { type: "m.id.user", user: "carol" };
    const wrong = await call(`${V3}/devices/CAROL2`, { token: carol.access_token, method: "DELETE", body: { auth: { type: "m.login.password", identifier, password: "bad", session } } });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ errcode: "M_FORBIDDEN", session });
    const ok = await call(`${V3}/devices/CAROL2`, { token: carol.access_token, method: "DELETE", body: { auth: { type: "m.login.password", identifier, password: "secret", session } } });
    expect(ok.status).toBe(200);
    expect((await call(`${V3}/account/whoami`, { token: other.access_token })).status).toBe(401);

    const third = (await login("carol", "secret", { device_id: "CAROL3" })).json<Session>();
    const bulk = await call(`${V3}/delete_devices`, { token: carol.access_token, body: { devices: ["CAROL3"] } });
    expect(bulk.status).toBe(401);
    const bulkSession = bulk.json<{ session: string }>().session;
    const done = await call(`${V3}/delete_devices`, {
      token: carol.access_token,
      body: { devices: ["CAROL3"], auth: { type: "m.login.password", identifier, password: "secret", session: bulkSession } },
    });
    expect(done.status).toBe(200);
    expect((await call(`${V3}/account/whoami`, { token: third.access_token })).status).toBe(401);
  });
});

describe("profiles", () => {
  let dan: Session;
  let roomId: string;
  beforeAll(async () => {
    dan = await register({ username: "dan", password: "pw" });
    const app = server.server.app;
    const version = getRoomVersion(app.config.room.default_version)!;
    const users: Record<string, number> = version.creatorsHaveInfinitePower ? {} : { [dan.user_id]: 100 };
    ({ roomId } = await app.rooms.createRoom({
      version,
      creator: dan.user_id,
      createContent: {},
      initialEvents: (): LocalEventSpec[] => [
        { type: "m.room.member", stateKey: dan.user_id, sender: dan.user_id, content: { membership: "join", displayname: "dan" } },
        { type: "m.room.power_levels", stateKey: "", sender: dan.user_id, content: { users } },
        { type: "m.room.join_rules", stateKey: "", sender: dan.user_id, content: { join_rule: "invite" } },
      ],
    }));
  });

  function memberContent(): JsonObject {
    const app = server.server.app;
    const room = app.storage.rooms.getRoom(roomId)!;
    const m = app.storage.rooms.membership(room.roomNid, dan.user_id)!;
    return app.rooms.loader.byNid(m.nid)!.content;
  }

  it("starts with the localpart as display name and 404s unknown users and fields", async () => {
    expect((await call(`${V3}/profile/${encodeURIComponent(dan.user_id)}`)).json()).toEqual({ displayname: "dan" });
    const unknownUser = await call(`${V3}/profile/${encodeURIComponent(`@ghost:${server.serverName}`)}`);
    expect(unknownUser.status).toBe(404);
    expect(unknownUser.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
    expect((await call(`${V3}/profile/${encodeURIComponent(dan.user_id)}/avatar_url`)).status).toBe(404);
  });

  it("sets display name and avatar, updating the member event in joined rooms", async () => {
    const path = `${V3}/profile/${encodeURIComponent(dan.user_id)}`;
    expect((await call(`${path}/displayname`, { token: dan.access_token, method: "PUT", body: { displayname: "Dan the Man" } })).status).toBe(200);
    expect(memberContent()).toEqual({ membership: "join", displayname: "Dan the Man" });
    expect((await call(`${path}/avatar_url`, { token: dan.access_token, method: "PUT", body: { avatar_url: "mxc://example.org/abc123" } })).status).toBe(200);
    expect(memberContent()).toEqual({ membership: "join", displayname: "Dan the Man", avatar_url: "mxc://example.org/abc123" });
    expect((await call(`${path}/displayname`)).json()).toEqual({ displayname: "Dan the Man" });
    expect((await call(`${path}/displayname`, { token: dan.access_token, method: "DELETE" })).status).toBe(200);
    expect(memberContent()).toEqual({ membership: "join", avatar_url: "mxc://example.org/abc123" });
  });

  it("keeps m.tz and custom keys, and enforces the key grammar, ownership and size", async () => {
    const path = `${V3}/profile/${encodeURIComponent(dan.user_id)}`;
    expect((await call(`${path}/m.tz`, { token: dan.access_token, method: "PUT", body: { "m.tz": "Europe/London" } })).status).toBe(200);
    expect((await call(`${path}/org.example.job`, { token: dan.access_token, method: "PUT", body: { "org.example.job": { title: "x" } } })).status).toBe(200);
    expect((await call(path)).json()).toEqual({ avatar_url: "mxc://example.org/abc123", "m.tz": "Europe/London", "org.example.job": { title: "x" } });

    const badKey = await call(`${path}/Bad_Key`, { token: dan.access_token, method: "PUT", body: { Bad_Key: 1 } });
    expect(badKey.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
    const missing = await call(`${path}/org.example.job`, { token: dan.access_token, method: "PUT", body: { other: 1 } });
    expect(missing.json()).toMatchObject({ errcode: "M_MISSING_PARAM" });
    const badAvatar = await call(`${path}/avatar_url`, { token: dan.access_token, method: "PUT", body: { avatar_url: "https://x" } });
    expect(badAvatar.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
    const huge = await call(`${path}/org.example.big`, { token: dan.access_token, method: "PUT", body: { "org.example.big": "x".repeat(70_000) } });
    expect(huge.status).toBe(400);
    expect(huge.json()).toMatchObject({ errcode: "M_PROFILE_TOO_LARGE" });
    const longKey = `org.example.${"k".repeat(260)}`;
    expect((await call(`${path}/${longKey}`, { token: dan.access_token, method: "PUT", body: { [longKey]: 1 } })).json()).toMatchObject({ errcode: "M_KEY_TOO_LARGE" });

    const other = await register({ username: "eve", password: "pw" });
    const forbidden = await call(`${path}/displayname`, { token: other.access_token, method: "PUT", body: { displayname: "hacked" } });
    expect(forbidden.status).toBe(403);
  });
});

describe("capabilities", () => {
  it("lists the room versions and profile capabilities", async () => {
    const s = await register({ username: "caps", password: "pw" });
    const res = await call(`${V3}/capabilities`, { token: s.access_token });
    const caps = res.json<{ capabilities: Record<string, JsonObject> }>().capabilities;
    expect(caps["m.room_versions"]).toMatchObject({ default: server.config.room.default_version });
    expect(Object.keys(caps["m.room_versions"]!.available as object).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 12 }, (_, i) => String(i + 1)),
    );
    expect(caps["m.change_password"]).toEqual({ enabled: false });
    expect(caps["m.set_displayname"]).toEqual({ enabled: true });
    expect(caps["m.set_avatar_url"]).toEqual({ enabled: true });
    expect(caps["m.3pid_changes"]).toEqual({ enabled: false });
  });
});

describe("end-to-end keys", () => {
  let frank: Session;
  let gina: Session;
  beforeAll(async () => {
    frank = await register({ username: "frank", password: "pw", device_id: "FRANKDEV" });
    gina = await register({ username: "gina", password: "pw", device_id: "GINADEV" });
  });

  it("uploads, queries and claims keys, each one-time key once", async () => {
    const device = testDevice(frank.user_id, "FRANKDEV");
    const upload = await call(`${V3}/keys/upload`, {
      token: frank.access_token,
      body: { device_keys: device.deviceKeys, one_time_keys: oneTimeKeys(device, 2), fallback_keys: fallbackKey(device, "fb") },
    });
    expect(upload.status).toBe(200);
    expect(upload.json()).toEqual({ one_time_key_counts: { signed_curve25519: 2 } });
    const mismatched = await call(`${V3}/keys/upload`, { token: gina.access_token, body: { device_keys: device.deviceKeys } });
    expect(mismatched.status).toBe(400);

    const query = await call(`${V3}/keys/query`, { token: gina.access_token, body: { device_keys: { [frank.user_id]: [] } } });
    expect(query.status).toBe(200);
    const result = query.json<{ failures: object; device_keys: Record<string, Record<string, JsonObject>> }>();
    expect(result.failures).toEqual({});
    // No display name was set for the device, so nothing is added under `unsigned`.
    expect(result.device_keys[frank.user_id]!.FRANKDEV).toEqual(device.deviceKeys);

    const claims: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(`${V3}/keys/claim`, { token: gina.access_token, body: { one_time_keys: { [frank.user_id]: { FRANKDEV: "signed_curve25519" } } } });
      const body = res.json<{ failures: object; one_time_keys: Record<string, Record<string, Record<string, unknown>>> }>();
      expect(body.failures).toEqual({});
      claims.push(Object.keys(body.one_time_keys[frank.user_id]!.FRANKDEV!)[0]!);
    }
    expect(new Set(claims.slice(0, 2)).size).toBe(2);
    expect(claims[2]).toBe("signed_curve25519:fb");
    const counts = await call(`${V3}/keys/upload`, { token: frank.access_token, body: {} });
    expect(counts.json()).toEqual({ one_time_key_counts: { signed_curve25519: 0 } });
  });

  it("reports device-list changes of users sharing a room, between two positions", async () => {
    const app = server.server.app;
    const version = getRoomVersion(app.config.room.default_version)!;
    await app.rooms.createRoom({
      version,
      creator: frank.user_id,
      createContent: {},
      initialEvents: (): LocalEventSpec[] => [
        { type: "m.room.member", stateKey: frank.user_id, sender: frank.user_id, content: { membership: "join" } },
        { type: "m.room.join_rules", stateKey: "", sender: frank.user_id, content: { join_rule: "public" } },
        { type: "m.room.member", stateKey: gina.user_id, sender: gina.user_id, content: { membership: "join" } },
      ],
    });
    const { accountsOf } = await import("../../src/accounts/of-app.js");
    const before = accountsOf(app).deviceLists.position();
    await login("frank", "pw", { device_id: "FRANKNEW" });
    await register({ username: "stranger", password: "pw" });
    const after = accountsOf(app).deviceLists.position();
    const res = await call(`${V3}/keys/changes?from=${before}&to=${after}`, { token: gina.access_token });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ changed: [frank.user_id], left: [] });
    expect((await call(`${V3}/keys/changes?from=${before}`, { token: gina.access_token })).json()).toMatchObject({ errcode: "M_MISSING_PARAM" });
  });

  it("stores cross-signing keys, asking for the password only to replace them", async () => {
    const cs = crossSigningSet(gina.user_id);
    const first = await call(`${V3}/keys/device_signing/upload`, {
      token: gina.access_token,
      body: { master_key: cs.masterKey, self_signing_key: cs.selfSigningKey, user_signing_key: cs.userSigningKey },
    });
    expect(first.status).toBe(200);
    const replacement = crossSigningSet(gina.user_id);
    const replace = await call(`${V3}/keys/device_signing/upload`, { token: gina.access_token, body: { master_key: replacement.masterKey } });
    expect(replace.status).toBe(401);
    expect(replace.json()).toMatchObject({ flows: [{ stages: ["m.login.password"] }] });

    const device = testDevice(gina.user_id, "GINADEV");
    await call(`${V3}/keys/upload`, { token: gina.access_token, body: { device_keys: device.deviceKeys } });
    const sig = await call(`${V3}/keys/signatures/upload`, {
      token: gina.access_token,
      body: { [gina.user_id]: { GINADEV: signJson(device.deviceKeys, gina.user_id, cs.selfSigning) } },
    });
    expect(sig.json()).toEqual({ failures: {} });
    const query = (await call(`${V3}/keys/query`, { token: frank.access_token, body: { device_keys: { [gina.user_id]: ["GINADEV"] } } })).json<{
      device_keys: Record<string, Record<string, JsonObject>>;
      master_keys: Record<string, JsonObject>;
      self_signing_keys: Record<string, JsonObject>;
      user_signing_keys: Record<string, JsonObject>;
    }>();
    expect(query.master_keys[gina.user_id]).toEqual(cs.masterKey);
    expect(query.self_signing_keys[gina.user_id]).toEqual(cs.selfSigningKey);
    expect(query.user_signing_keys[gina.user_id]).toBeUndefined();
    const sigs = query.device_keys[gina.user_id]!.GINADEV!.signatures as Record<string, Record<string, string>>;
    expect(Object.keys(sigs[gina.user_id]!).sort()).toEqual([`ed25519:${cs.selfSigning.publicKeyB64}`, "ed25519:GINADEV"].sort());
  });
});
