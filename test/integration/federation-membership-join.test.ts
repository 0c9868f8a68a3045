/**
 * make_join / send_join (v1 and v2) against a real Conflux, the FakeRemote playing the joining
 * server: success in every room version, the answer verifies (signatures, hashes, a complete
 * auth chain), omit_members, and every error branch with its exact status and errcode.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteEventBuilder } from "../../bench/lib/remote-events.js";
import { computeEventId } from "../../src/events/hashes.js";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import {
  completeTemplate,
  createRoom,
  enc,
  errorOf,
  expectAuthChainComplete,
  expectError,
  expectVerified,
  joinRoom,
  makeJoin,
  membershipOf,
  startEnv,
  versionOf,
  type Env,
} from "./federation-membership-fixture.js";

interface SendJoinBody {
  state: Pdu[];
  auth_chain: Pdu[];
  event?: Pdu;
  members_omitted?: boolean;
  servers_in_room?: string[];
}

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await env?.stop();
});

describe.each(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"])("join handshake, room version %s", (v) => {
  it("make_join → send_join v2: template as specified, join accepted, answer verifies", async () => {
    const roomId = await createRoom(env, v, { extra: () => [{ type: "m.room.name", stateKey: "", sender: env.alice, content: { name: "Lobby" } }] });
    const user = env.remote.userId(`joiner${v}`);
    const made = await makeJoin(env, roomId, user);
    expect(made.status).toBe(200);
    const { room_version, event } = made.json<{ room_version: string; event: JsonObject }>();
    expect(room_version).toBe(v);
    // The caller MUST check these (joins-v1.yaml); we MUST give them.
    expect(event).toMatchObject({ room_id: roomId, type: "m.room.member", sender: user, state_key: user, content: { membership: "join" } });
    expect(event.origin).toBe(env.server.serverName);
    expect(typeof event.origin_server_ts).toBe("number");
    expect(event.hashes).toBeUndefined();
    expect(event.signatures).toBeUndefined();

    const version = versionOf(v);
    const { pdu, eventId } = completeTemplate(env.remote, event, version);
    const res = await env.remote.send(env.server, "PUT", `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(eventId)}`, pdu as unknown as JsonValue);
    expect(res.status, res.text).toBe(200);
    const body = res.json<SendJoinBody>();
    expect(body.event).toBeUndefined();
    expect(body.members_omitted).toBeUndefined();
    const stateTypes = body.state.map((p) => `${p.type}|${p.state_key}`).sort();
    expect(stateTypes).toEqual(["m.room.create|", "m.room.join_rules|", `m.room.member|${env.alice}`, "m.room.name|", "m.room.power_levels|"].sort());
    expect(body.state.some((p) => p.state_key === user)).toBe(false); // state BEFORE the join
    expectVerified(env, [...body.state, ...body.auth_chain], version);
    expectAuthChainComplete(version, body.auth_chain, [...body.state, pdu]);
    expect(membershipOf(env, roomId, user)).toBe("join");
  });

  it("send_join v1 answers [200, {auth_chain, state}]", async () => {
    const roomId = await createRoom(env, v);
    const user = env.remote.userId(`old${v}`);
    const made = await makeJoin(env, roomId, user);
    const version = versionOf(v);
    const { pdu, eventId } = completeTemplate(env.remote, made.json<{ event: JsonObject }>().event, version);
    const res = await env.remote.send(env.server, "PUT", `/_matrix/federation/v1/send_join/${enc(roomId)}/${enc(eventId)}`, pdu as unknown as JsonValue);
    expect(res.status).toBe(200);
    const body = res.json<[number, SendJoinBody]>();
    expect(Array.isArray(body)).toBe(true);
    expect(body[0]).toBe(200);
    expect(Object.keys(body[1]).sort()).toEqual(["auth_chain", "state"]);
    expectAuthChainComplete(version, body[1].auth_chain, [...body[1].state, pdu]);
    expect(membershipOf(env, roomId, user)).toBe("join");
  });
});

describe("send_join answers", () => {
  it("a retried send_join gets the same answer and stores nothing new", async () => {
    const roomId = await createRoom(env, "11");
    const user = env.remote.userId("retry");
    const first = await joinRoom(env, roomId, user);
    expect(first.res.status).toBe(200);
    const again = await env.remote.send(env.server, "PUT", `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(first.eventId)}`, first.pdu as unknown as JsonValue);
    expect(again.status).toBe(200);
    expect(again.json()).toEqual(first.res.json());
  });

  it("omit_members=true: no member events but the heroes', members_omitted, servers_in_room", async () => {
    const roomId = await createRoom(env, "12", {
      extra: () => [
        { type: "m.room.topic", stateKey: "", sender: env.alice, content: { topic: "no name here" } },
      ],
    });
    const early = env.remote.userId("early");
    expect((await joinRoom(env, roomId, early)).res.status).toBe(200);
    const later = env.remote.userId("later");
    const { res, pdu, version } = await joinRoom(env, roomId, later, "?omit_members=true");
    expect(res.status).toBe(200);
    const body = res.json<SendJoinBody>();
    expect(body.members_omitted).toBe(true);
    expect(body.servers_in_room!.sort()).toEqual([env.server.serverName, env.remote.serverName].sort());
    // No name and no canonical alias: the heroes' (first joined members') memberships stay.
    const members = body.state.filter((p) => p.type === "m.room.member").map((p) => p.state_key).sort();
    expect(members).toEqual([env.alice, early].sort());
    expect(body.state.map((p) => p.type)).toEqual(expect.arrayContaining(["m.room.create", "m.room.power_levels", "m.room.join_rules", "m.room.topic"]));
    // Events already in `state` may be left out of auth_chain; together they are complete.
    const stateIds = new Set(body.state.map((p) => computeEventId(p, version)));
    for (const p of body.auth_chain) expect(stateIds.has(computeEventId(p, version))).toBe(false);
    expectAuthChainComplete(version, [...body.auth_chain, ...body.state], [pdu]);
    expectVerified(env, [...body.state, ...body.auth_chain], version);
  });

  it("omit_members=true in a named room returns no member events at all; servers_in_room excludes a server new to the room", async () => {
    const roomId = await createRoom(env, "10", {
      extra: () => [{ type: "m.room.name", stateKey: "", sender: env.alice, content: { name: "Named" } }],
    });
    const { res } = await joinRoom(env, roomId, env.remote.userId("first"), "?omit_members=true");
    expect(res.status).toBe(200);
    const body = res.json<SendJoinBody>();
    expect(body.state.filter((p) => p.type === "m.room.member")).toEqual([]);
    expect(body.servers_in_room).toEqual([env.server.serverName]);
  });

  it("omit_members must be a boolean", async () => {
    const roomId = await createRoom(env, "10");
    const { res } = await joinRoom(env, roomId, env.remote.userId("bool"), "?omit_members=yes");
    expect(errorOf(res)).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
  });
});

describe.each(["7", "10", "11", "12"])("make_join errors, room version %s", (v) => {
  let publicRoom: string;
  beforeAll(async () => {
    publicRoom = await createRoom(env, v);
  });

  it("userId not on the requesting server → 403 M_FORBIDDEN; malformed → 400 M_INVALID_PARAM", async () => {
    expect(errorOf(await makeJoin(env, publicRoom, "@someone:elsewhere.example"))).toEqual({ status: 403, errcode: "M_FORBIDDEN" });
    expect(errorOf(await makeJoin(env, publicRoom, "not-a-user"))).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
  });

  it("unknown room → 404 M_NOT_FOUND", async () => {
    expect(errorOf(await makeJoin(env, "!nowhere:unknown.example", env.remote.userId("x")))).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
  });

  it("room version not in ver → 400 M_INCOMPATIBLE_ROOM_VERSION with room_version; no ver means [\"1\"]", async () => {
    expect(errorOf(await makeJoin(env, publicRoom, env.remote.userId("x"), ["1", "2"]))).toEqual({
      status: 400,
      errcode: "M_INCOMPATIBLE_ROOM_VERSION",
      room_version: v,
    });
    expect(errorOf(await makeJoin(env, publicRoom, env.remote.userId("x"), []))).toEqual({
      status: 400,
      errcode: "M_INCOMPATIBLE_ROOM_VERSION",
      room_version: v,
    });
  });

  it("invite-only room, banned user → 403 M_FORBIDDEN", async () => {
    const inviteOnly = await createRoom(env, v, { joinRule: "invite" });
    expect(errorOf(await makeJoin(env, inviteOnly, env.remote.userId("x")))).toEqual({ status: 403, errcode: "M_FORBIDDEN" });
    const banned = env.remote.userId(`banned${v}`);
    await env.app.rooms.send(publicRoom, { type: "m.room.member", stateKey: banned, sender: env.alice, content: { membership: "ban" } });
    expect(errorOf(await makeJoin(env, publicRoom, banned))).toEqual({ status: 403, errcode: "M_FORBIDDEN" });
  });

  it("a room whose ACL denies the requesting server → 403 M_FORBIDDEN on make_join and send_join", async () => {
    const denied = await createRoom(env, v, {
      extra: () => [{ type: "m.room.server_acl", stateKey: "", sender: env.alice, content: { allow: ["*"], deny: ["127.0.0.1"] } }],
    });
    expect(errorOf(await makeJoin(env, denied, env.remote.userId("x")))).toEqual({ status: 403, errcode: "M_FORBIDDEN" });
    const put = await env.remote.send(env.server, "PUT", `/_matrix/federation/v2/send_join/${enc(denied)}/${enc("$x")}`, {});
    expect(errorOf(put)).toEqual({ status: 403, errcode: "M_FORBIDDEN" });
  });
});

describe.each(["7", "10", "11", "12"])("send_join errors, room version %s", (v) => {
  let roomId: string;
  let template: JsonObject;
  const user = () => env.remote.userId(`bad${v}`);
  beforeAll(async () => {
    roomId = await createRoom(env, v);
    template = (await makeJoin(env, roomId, user())).json<{ event: JsonObject }>().event;
  });

  async function sendJoin(pdu: unknown, eventId: string, version = "v2", room = roomId) {
    return env.remote.send(env.server, "PUT", `/_matrix/federation/${version}/send_join/${enc(room)}/${enc(eventId)}`, pdu as JsonValue);
  }
  const signed = (tweak?: (ev: JsonObject) => void) => completeTemplate(env.remote, template, versionOf(v), tweak);

  it("event ID not the path's → 400 M_INVALID_PARAM", async () => {
    const { pdu } = signed();
    expectError(await sendJoin(pdu, "$not-this-one"), 400, "M_INVALID_PARAM", /request path/);
  });

  it("wrong type, wrong membership, room_id not the path's → 400 M_INVALID_PARAM", async () => {
    const typed = signed((ev) => void (ev.type = "m.room.message"));
    expectError(await sendJoin(typed.pdu, typed.eventId), 400, "M_INVALID_PARAM", /Not an m.room.member/);
    const leave = signed((ev) => void (ev.content = { membership: "leave" }));
    expectError(await sendJoin(leave.pdu, leave.eventId), 400, "M_INVALID_PARAM", /Not a join/);
    const other = await createRoom(env, v);
    const { pdu, eventId } = signed();
    expectError(await sendJoin(pdu, eventId, "v2", other), 400, "M_INVALID_PARAM", /not for the room/);
  });

  it("sender not on the origin, state_key not the sender → 400 M_INVALID_PARAM", async () => {
    const elsewhere = "@mallory:elsewhere.example";
    const foreign = signed((ev) => void ((ev.sender = elsewhere), (ev.state_key = elsewhere)));
    expectError(await sendJoin(foreign.pdu, foreign.eventId), 400, "M_INVALID_PARAM", /requesting server/);
    const proxy = signed((ev) => void (ev.state_key = env.remote.userId("someone-else")));
    expectError(await sendJoin(proxy.pdu, proxy.eventId), 400, "M_INVALID_PARAM", /state_key/);
  });

  it("bad signature or failing content hash → 400 M_INVALID_PARAM", async () => {
    const { pdu, eventId } = signed();
    const forged = { ...pdu, signatures: { [env.remote.serverName]: { [env.remote.key.keyId]: "A".repeat(86) } } };
    expectError(await sendJoin(forged, eventId), 400, "M_INVALID_PARAM", /signature/);
    // Content changed after signing: signatures still verify (redacted form), the hash does not.
    const tampered = { ...pdu, content: { ...pdu.content, displayname: "changed" } };
    expectError(await sendJoin(tampered, eventId), 400, "M_INVALID_PARAM", /hash/);
  });

  it("not a PDU of the room version → 400 M_BAD_JSON; not a JSON object → 400 M_BAD_JSON / M_NOT_JSON", async () => {
    const { pdu, eventId } = signed();
    const { depth: _depth, ...noDepth } = pdu;
    expect(errorOf(await sendJoin(noDepth, eventId))).toEqual({ status: 400, errcode: "M_BAD_JSON" });
    expect(errorOf(await sendJoin([pdu], eventId))).toEqual({ status: 400, errcode: "M_BAD_JSON" });
  });

  it("a join the auth rules refuse → 403 M_FORBIDDEN (invite-only room, event built by hand)", async () => {
    const closed = await createRoom(env, v, { joinRule: "invite" });
    const builder = new RemoteEventBuilder(env.remote.serverName, env.app.rooms, env.remote.key);
    const ev = builder.event(closed, { type: "m.room.member", stateKey: user(), sender: user(), content: { membership: "join" } });
    const res = await sendJoin(ev.pdu, ev.eventId, "v2", closed);
    expectError(res, 403, "M_FORBIDDEN", /not allowed/);
  });

  it("unknown room → 404 M_NOT_FOUND", async () => {
    const { pdu, eventId } = signed();
    expect(errorOf(await sendJoin(pdu, eventId, "v2", "!unknown:nowhere.example"))).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
  });

  it("the same checks guard send_join v1", async () => {
    const { pdu } = signed();
    expect(errorOf(await sendJoin(pdu, "$wrong", "v1"))).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
  });
});
