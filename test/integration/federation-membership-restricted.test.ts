/**
 * Restricted joins with Conflux as the resident (server-server-api.md "Restricted rooms"):
 * Conflux names its own user in `join_authorised_via_users_server`, signs the join before
 * storing it and returns the signed `event`; and the three refusals (400
 * M_UNABLE_TO_AUTHORISE_JOIN, 400 M_UNABLE_TO_GRANT_JOIN, 403 M_FORBIDDEN).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteEventBuilder } from "../../bench/lib/remote-events.js";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import {
  completeTemplate,
  createRoom,
  enc,
  expectError,
  expectVerified,
  joinRoom,
  makeJoin,
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

const condition = (roomId: string): JsonValue => ({ type: "m.room_membership", room_id: roomId });

describe.each(["8", "10", "11", "12"])("restricted join, room version %s", (v) => {
  let allowed: string;
  let member: string;
  const stranger = () => env.remote.userId(`stranger${v}`);
  beforeAll(async () => {
    allowed = await createRoom(env, v);
    member = env.remote.userId(`member${v}`);
    expect((await joinRoom(env, allowed, member)).res.status).toBe(200);
  });

  it("a member of an allowed room joins through Conflux's user; Conflux signs and returns the event", async () => {
    const roomId = await createRoom(env, v, { joinRule: "restricted", allow: [condition("!elsewhere:unknown.example"), condition(allowed)] });
    const made = await makeJoin(env, roomId, member);
    expect(made.status, made.text).toBe(200);
    const template = made.json<{ event: JsonObject }>().event;
    expect(template.content).toEqual({ membership: "join", join_authorised_via_users_server: env.alice });
    const version = versionOf(v);
    const { pdu, eventId } = completeTemplate(env.remote, template, version);
    expect(pdu.signatures[env.server.serverName]).toBeUndefined();
    const res = await env.remote.send(env.server, "PUT", `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(eventId)}`, pdu as unknown as JsonValue);
    expect(res.status, res.text).toBe(200);
    const body = res.json<{ event?: Pdu; state: Pdu[] }>();
    expect(body.event).toBeDefined();
    expect(Object.keys(body.event!.signatures).sort()).toEqual([env.remote.serverName, env.server.serverName].sort());
    const { signatures: _a, ...sent } = pdu;
    const { signatures: _b, ...returned } = body.event!;
    expect(returned).toEqual(sent); // only our signature was added
    expectVerified(env, [body.event!], version);
    expect(membershipOf(env, roomId, member)).toBe("join");
    // What the room stored, and will send on, is the event with our signature.
    const stored = env.app.storage.events.getEvent(eventId)!.pdu;
    expect(stored.signatures[env.server.serverName]).toEqual(body.event!.signatures[env.server.serverName]);
  });

  it("an invited user needs no authorisation: no join_authorised_via_users_server, no event in the answer", async () => {
    const roomId = await createRoom(env, v, { joinRule: "restricted", allow: [condition(allowed)] });
    const invited = stranger();
    await env.app.rooms.send(roomId, { type: "m.room.member", stateKey: invited, sender: env.alice, content: { membership: "invite" } });
    const made = await makeJoin(env, roomId, invited);
    expect(made.status).toBe(200);
    expect(made.json<{ event: JsonObject }>().event.content).toEqual({ membership: "join" });
    const { res } = await joinRoom(env, roomId, invited);
    expect(res.status).toBe(200);
    expect(res.json<{ event?: Pdu }>().event).toBeUndefined();
  });

  it("the user meets no condition and every allowed room is checkable → 403 M_FORBIDDEN (make_join and send_join)", async () => {
    const roomId = await createRoom(env, v, { joinRule: "restricted", allow: [condition(allowed)] });
    expectError(await makeJoin(env, roomId, stranger()), 403, "M_FORBIDDEN", /conditions/);
    // A join naming our user anyway: we refuse to vouch for it.
    const builder = new RemoteEventBuilder(env.remote.serverName, env.app.rooms, env.remote.key);
    const ev = builder.event(roomId, {
      type: "m.room.member",
      stateKey: stranger(),
      sender: stranger(),
      content: { membership: "join", join_authorised_via_users_server: env.alice },
    });
    const res = await env.remote.send(env.server, "PUT", `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(ev.eventId)}`, ev.pdu as unknown as JsonValue);
    expectError(res, 403, "M_FORBIDDEN", /conditions/);
    expect(membershipOf(env, roomId, stranger())).toBeUndefined();
    // No valid condition at all counts as failing them all.
    const noConditions = await createRoom(env, v, { joinRule: "restricted", allow: [{ type: "m.other", room_id: allowed }, "junk"] });
    expectError(await makeJoin(env, noConditions, member), 403, "M_FORBIDDEN");
  });

  it("an allowed room Conflux is not in, and no condition met → 400 M_UNABLE_TO_AUTHORISE_JOIN", async () => {
    const roomId = await createRoom(env, v, { joinRule: "restricted", allow: [condition("!elsewhere:unknown.example")] });
    expectError(await makeJoin(env, roomId, member), 400, "M_UNABLE_TO_AUTHORISE_JOIN");
    const mixed = await createRoom(env, v, { joinRule: "restricted", allow: [condition(allowed), condition("!elsewhere:unknown.example")] });
    expectError(await makeJoin(env, mixed, stranger()), 400, "M_UNABLE_TO_AUTHORISE_JOIN");
  });

  it("the user qualifies but no joined user of Conflux can invite → 400 M_UNABLE_TO_GRANT_JOIN (make_join and send_join)", async () => {
    const bob = `@bob:${env.server.serverName}`;
    const roomId = await createRoom(env, v, { joinRule: "restricted", allow: [condition(allowed)], powerLevels: { invite: 50 } });
    await env.app.rooms.send(roomId, { type: "m.room.member", stateKey: bob, sender: env.alice, content: { membership: "invite" } });
    await env.app.rooms.send(roomId, { type: "m.room.member", stateKey: bob, sender: bob, content: { membership: "join" } });
    await env.app.rooms.send(roomId, { type: "m.room.member", stateKey: env.alice, sender: env.alice, content: { membership: "leave" } });
    expectError(await makeJoin(env, roomId, member), 400, "M_UNABLE_TO_GRANT_JOIN");
    const builder = new RemoteEventBuilder(env.remote.serverName, env.app.rooms, env.remote.key);
    const ev = builder.event(roomId, {
      type: "m.room.member",
      stateKey: member,
      sender: member,
      content: { membership: "join", join_authorised_via_users_server: env.alice },
    });
    const res = await env.remote.send(env.server, "PUT", `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(ev.eventId)}`, ev.pdu as unknown as JsonValue);
    expectError(res, 400, "M_UNABLE_TO_GRANT_JOIN");
  });
});

describe.each(["10", "11", "12"])("knock_restricted, room version %s", (v) => {
  it("joins through a condition like restricted", async () => {
    const allowed = await createRoom(env, v);
    const member = env.remote.userId(`kr${v}`);
    expect((await joinRoom(env, allowed, member)).res.status).toBe(200);
    const roomId = await createRoom(env, v, { joinRule: "knock_restricted", allow: [condition(allowed)] });
    const { res } = await joinRoom(env, roomId, member);
    expect(res.status, res.text).toBe(200);
    expect(res.json<{ event?: Pdu }>().event?.content).toEqual({ membership: "join", join_authorised_via_users_server: env.alice });
  });
});

it("room version 7 has no restricted join rule: make_join → 403 M_FORBIDDEN", async () => {
  const allowed = await createRoom(env, "7");
  const roomId = await createRoom(env, "7", { joinRule: "restricted", allow: [condition(allowed)] });
  expectError(await makeJoin(env, roomId, env.remote.userId("v7")), 403, "M_FORBIDDEN");
});
