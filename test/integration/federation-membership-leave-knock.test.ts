/**
 * make_leave / send_leave (v1 and v2) and make_knock / send_knock against a real Conflux: the
 * remote leaves, rejects an invite, knocks and retracts its knock; every error branch with its
 * exact status and errcode.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteEventBuilder } from "../../bench/lib/remote-events.js";
import { computeEventId } from "../../src/events/hashes.js";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import {
  completeTemplate,
  createRoom,
  enc,
  expectError,
  expectVerified,
  joinRoom,
  membershipOf,
  startEnv,
  versionOf,
  type Env,
} from "./federation-membership-fixture.js";

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await env?.stop();
});

const ALL_VERSIONS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

async function makeLeave(roomId: string, user: string) {
  return env.remote.send(env.server, "GET", `/_matrix/federation/v1/make_leave/${enc(roomId)}/${enc(user)}`);
}

async function makeKnock(roomId: string, user: string, ver: readonly string[] = ALL_VERSIONS) {
  const q = ver.map((v) => `ver=${enc(v)}`).join("&");
  return env.remote.send(env.server, "GET", `/_matrix/federation/v1/make_knock/${enc(roomId)}/${enc(user)}${q ? `?${q}` : ""}`);
}

async function put(path: string, roomId: string, eventId: string, body: unknown) {
  return env.remote.send(env.server, "PUT", `/_matrix/federation/${path}/${enc(roomId)}/${enc(eventId)}`, body as JsonValue);
}

/** make_leave → complete → send_leave (`v1` or `v2`). */
async function leave(roomId: string, user: string, api: "v1" | "v2" = "v2") {
  const made = await makeLeave(roomId, user);
  expect(made.status, made.text).toBe(200);
  const { room_version, event } = made.json<{ room_version: string; event: JsonObject }>();
  const { pdu, eventId } = completeTemplate(env.remote, event, versionOf(room_version));
  return { made: made.json<{ room_version: string; event: JsonObject }>(), res: await put(`${api}/send_leave`, roomId, eventId, pdu) };
}

describe.each(ALL_VERSIONS)("leave handshake, room version %s", (v) => {
  it("make_leave → send_leave v2 → {}, and the member has left", async () => {
    const roomId = await createRoom(env, v);
    const user = env.remote.userId(`leaver${v}`);
    expect((await joinRoom(env, roomId, user)).res.status).toBe(200);
    const { made, res } = await leave(roomId, user);
    expect(made.room_version).toBe(v);
    expect(made.event).toMatchObject({ room_id: roomId, type: "m.room.member", sender: user, state_key: user, content: { membership: "leave" } });
    expect(made.event.origin).toBe(env.server.serverName);
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toEqual({});
    expect(membershipOf(env, roomId, user)).toBe("leave");
  });

  it("send_leave v1 answers [200, {}]; rejecting an invite works the same way", async () => {
    const roomId = await createRoom(env, v, { joinRule: "invite" });
    const user = env.remote.userId(`rejecter${v}`);
    await env.app.rooms.send(roomId, { type: "m.room.member", stateKey: user, sender: env.alice, content: { membership: "invite" } });
    const { res } = await leave(roomId, user, "v1");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual([200, {}]);
    expect(membershipOf(env, roomId, user)).toBe("leave");
  });
});

describe.each(["7", "10", "11", "12"])("leave errors, room version %s", (v) => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await createRoom(env, v);
  });

  it("make_leave: not in the room → 403; not the origin's user → 403; unknown room → 404", async () => {
    expectError(await makeLeave(roomId, env.remote.userId("never-joined")), 403, "M_FORBIDDEN");
    expectError(await makeLeave(roomId, "@x:elsewhere.example"), 403, "M_FORBIDDEN");
    expectError(await makeLeave("!nope:nowhere.example", env.remote.userId("x")), 404, "M_NOT_FOUND");
  });

  it("send_leave: wrong membership, wrong event ID → 400 M_INVALID_PARAM; not allowed → 403; unknown room → 404", async () => {
    const user = env.remote.userId(`sl${v}`);
    expect((await joinRoom(env, roomId, user)).res.status).toBe(200);
    const template = (await makeLeave(roomId, user)).json<{ event: JsonObject }>().event;
    const version = versionOf(v);
    const joinAgain = completeTemplate(env.remote, template, version, (ev) => void (ev.content = { membership: "join" }));
    expectError(await put("v2/send_leave", roomId, joinAgain.eventId, joinAgain.pdu), 400, "M_INVALID_PARAM", /Not a leave/);
    const ok = completeTemplate(env.remote, template, version);
    expectError(await put("v2/send_leave", roomId, "$other", ok.pdu), 400, "M_INVALID_PARAM");
    expectError(await put("v1/send_leave", roomId, "$other", ok.pdu), 400, "M_INVALID_PARAM");
    expectError(await put("v2/send_leave", "!nope:nowhere.example", ok.eventId, ok.pdu), 404, "M_NOT_FOUND");
    // A leave for a user who was never in the room, built by hand.
    const builder = new RemoteEventBuilder(env.remote.serverName, env.app.rooms, env.remote.key);
    const stranger = env.remote.userId(`stranger${v}`);
    const ev = builder.event(roomId, { type: "m.room.member", stateKey: stranger, sender: stranger, content: { membership: "leave" } });
    expectError(await put("v2/send_leave", roomId, ev.eventId, ev.pdu), 403, "M_FORBIDDEN");
  });

  it("ACL denies the origin → 403 on make_leave and send_leave (v1, v2)", async () => {
    const denied = await createRoom(env, v, {
      extra: () => [{ type: "m.room.server_acl", stateKey: "", sender: env.alice, content: { allow: ["*"], deny: ["127.0.0.1"] } }],
    });
    expectError(await makeLeave(denied, env.remote.userId("x")), 403, "M_FORBIDDEN", /ACL/);
    expectError(await put("v2/send_leave", denied, "$x", {}), 403, "M_FORBIDDEN", /ACL/);
    expectError(await put("v1/send_leave", denied, "$x", {}), 403, "M_FORBIDDEN", /ACL/);
  });
});

function knockRoomExtras(alice: string): () => LocalEventSpec[] {
  const extras: LocalEventSpec[] = [
    { type: "m.room.name", stateKey: "", sender: alice, content: { name: "Knock knock" } },
    { type: "m.room.topic", stateKey: "", sender: alice, content: { topic: "who's there" } },
    { type: "m.room.encryption", stateKey: "", sender: alice, content: { algorithm: "m.megolm.v1.aes-sha2" } },
    { type: "m.room.history_visibility", stateKey: "", sender: alice, content: { history_visibility: "shared" } },
  ];
  return () => extras;
}

describe.each(["7", "10", "11", "12"])("knock handshake, room version %s", (v) => {
  it("make_knock → send_knock → knock_room_state (full PDUs, create first); retract by leaving", async () => {
    const roomId = await createRoom(env, v, { joinRule: "knock", extra: knockRoomExtras(env.alice) });
    const user = env.remote.userId(`knocker${v}`);
    const made = await makeKnock(roomId, user);
    expect(made.status, made.text).toBe(200);
    const { room_version, event } = made.json<{ room_version: string; event: JsonObject }>();
    expect(room_version).toBe(v);
    expect(event).toMatchObject({ room_id: roomId, type: "m.room.member", sender: user, state_key: user, content: { membership: "knock" } });
    const version = versionOf(v);
    const { pdu, eventId } = completeTemplate(env.remote, event, version);
    const res = await put("v1/send_knock", roomId, eventId, pdu);
    expect(res.status, res.text).toBe(200);
    const state = res.json<{ knock_room_state: Pdu[] }>().knock_room_state;
    expect(state.map((p) => p.type)).toEqual(["m.room.create", "m.room.join_rules", "m.room.name", "m.room.topic", "m.room.encryption"]);
    expectVerified(env, state, version);
    for (const p of state) expect(typeof computeEventId(p, version)).toBe("string");
    expect(membershipOf(env, roomId, user)).toBe("knock");

    const { res: left } = await leave(roomId, user);
    expect(left.status).toBe(200);
    expect(membershipOf(env, roomId, user)).toBe("leave");
  });

  it("knock errors: ver missing → 400 M_MISSING_PARAM; version not in ver → 400 M_INCOMPATIBLE_ROOM_VERSION", async () => {
    const roomId = await createRoom(env, v, { joinRule: "knock" });
    expectError(await makeKnock(roomId, env.remote.userId("k"), []), 400, "M_MISSING_PARAM");
    const res = await makeKnock(roomId, env.remote.userId("k"), ["1", "6"]);
    expectError(res, 400, "M_INCOMPATIBLE_ROOM_VERSION");
    expect(res.json<{ room_version: string }>().room_version).toBe(v);
  });

  it("knock errors: room not knockable, banned, already joined, user not the origin's → 403; unknown room → 404", async () => {
    const publicRoom = await createRoom(env, v);
    expectError(await makeKnock(publicRoom, env.remote.userId("k")), 403, "M_FORBIDDEN");
    const roomId = await createRoom(env, v, { joinRule: "knock" });
    const banned = env.remote.userId(`kb${v}`);
    await env.app.rooms.send(roomId, { type: "m.room.member", stateKey: banned, sender: env.alice, content: { membership: "ban" } });
    expectError(await makeKnock(roomId, banned), 403, "M_FORBIDDEN");
    const joined = env.remote.userId(`kj${v}`);
    await env.app.rooms.send(roomId, { type: "m.room.member", stateKey: joined, sender: env.alice, content: { membership: "invite" } });
    expect((await joinRoom(env, roomId, joined)).res.status).toBe(200);
    expectError(await makeKnock(roomId, joined), 403, "M_FORBIDDEN");
    expectError(await makeKnock(roomId, "@k:elsewhere.example"), 403, "M_FORBIDDEN");
    expectError(await makeKnock("!nope:nowhere.example", env.remote.userId("k")), 404, "M_NOT_FOUND");
  });

  it("send_knock errors: wrong membership → 400 M_INVALID_PARAM; ACL → 403; a knock the rules refuse → 403", async () => {
    const roomId = await createRoom(env, v, { joinRule: "knock" });
    const user = env.remote.userId(`sk${v}`);
    const template = (await makeKnock(roomId, user)).json<{ event: JsonObject }>().event;
    const join = completeTemplate(env.remote, template, versionOf(v), (ev) => void (ev.content = { membership: "join" }));
    expectError(await put("v1/send_knock", roomId, join.eventId, join.pdu), 400, "M_INVALID_PARAM", /Not a knock/);
    const publicRoom = await createRoom(env, v);
    const builder = new RemoteEventBuilder(env.remote.serverName, env.app.rooms, env.remote.key);
    const ev = builder.event(publicRoom, { type: "m.room.member", stateKey: user, sender: user, content: { membership: "knock" } });
    expectError(await put("v1/send_knock", publicRoom, ev.eventId, ev.pdu), 403, "M_FORBIDDEN");
    const denied = await createRoom(env, v, {
      joinRule: "knock",
      extra: () => [{ type: "m.room.server_acl", stateKey: "", sender: env.alice, content: { allow: ["*"], deny: ["127.0.0.1"] } }],
    });
    expectError(await makeKnock(denied, user), 403, "M_FORBIDDEN", /ACL/);
    expectError(await put("v1/send_knock", denied, "$x", {}), 403, "M_FORBIDDEN", /ACL/);
  });
});

describe.each(["10", "11", "12"])("knock_restricted, room version %s", (v) => {
  it("accepts knocks", async () => {
    const roomId = await createRoom(env, v, { joinRule: "knock_restricted", allow: [] });
    const user = env.remote.userId(`krk${v}`);
    const made = await makeKnock(roomId, user);
    expect(made.status, made.text).toBe(200);
    const { pdu, eventId } = completeTemplate(env.remote, made.json<{ event: JsonObject }>().event, versionOf(v));
    expect((await put("v1/send_knock", roomId, eventId, pdu)).status).toBe(200);
    expect(membershipOf(env, roomId, user)).toBe("knock");
  });
});

describe.each(["1", "3", "6"])("knocking in room version %s (before v7)", (v) => {
  it("make_knock and send_knock → 400 M_INCOMPATIBLE_ROOM_VERSION with room_version", async () => {
    const roomId = await createRoom(env, v, { joinRule: "knock" });
    const res = await makeKnock(roomId, env.remote.userId("old"));
    expectError(res, 400, "M_INCOMPATIBLE_ROOM_VERSION");
    expect(res.json<{ room_version: string }>().room_version).toBe(v);
    const sent = await put("v1/send_knock", roomId, "$x", {});
    expectError(sent, 400, "M_INCOMPATIBLE_ROOM_VERSION");
    expect(sent.json<{ room_version: string }>().room_version).toBe(v);
  });
});
