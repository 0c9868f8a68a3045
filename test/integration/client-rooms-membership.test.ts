/**
 * Client-server membership on one real Conflux: join by ID and alias, invite (and invite
 * blocking rules through the auth rules), leave, kick, ban, unban, forget, knock, restricted
 * joins (a local joiner must meet an allow condition), /members and /joined_members,
 * /joined_rooms.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../helpers/server.js";
import { startWithUsers, type ClientApi, type ClientEvent, type Session } from "./client-rooms-fixture.js";

let server: TestServer;
let api: ClientApi;
let alice: Session;
let bob: Session;
let carol: Session;

beforeAll(async () => {
  ({ server, api, alice, bob, carol } = await startWithUsers());
  await api.ok(`/profile/${encodeURIComponent(bob.user_id)}/displayname`, { token: bob.access_token, method: "PUT", body: { displayname: "Bobby" } });
});
afterAll(async () => {
  await server?.stop();
});

async function membership(s: Session, roomId: string, userId: string): Promise<string | undefined> {
  const res = await api.call(api.room(roomId, `/state/m.room.member/${encodeURIComponent(userId)}`), { token: s.access_token });
  return res.status === 200 ? res.json<{ membership: string }>().membership : undefined;
}

async function joinedRooms(s: Session): Promise<string[]> {
  return (await api.ok<{ joined_rooms: string[] }>("/joined_rooms", { token: s.access_token })).joined_rooms;
}

describe("join, invite, leave", () => {
  it("invite-only: not without an invite; invite then join by alias; leave", async () => {
    const roomId = await api.createRoom(alice, { room_alias_name: "club", room_version: "11" });
    const alias = `#club:${server.serverName}`;
    expect(await api.fails(`/join/${encodeURIComponent(alias)}`, { token: bob.access_token, body: {} })).toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });

    await api.ok(api.room(roomId, "/invite"), { token: alice.access_token, body: { user_id: bob.user_id, reason: "welcome" } });
    // Already invited: 200 again.
    await api.ok(api.room(roomId, "/invite"), { token: alice.access_token, body: { user_id: bob.user_id } });
    expect(await membership(alice, roomId, bob.user_id)).toBe("invite");

    const joined = await api.ok<{ room_id: string }>(`/join/${encodeURIComponent(alias)}`, { token: bob.access_token, body: { reason: "hi" } });
    expect(joined.room_id).toBe(roomId);
    const member = await api.ok<ClientEvent>(api.room(roomId, `/state/m.room.member/${encodeURIComponent(bob.user_id)}?format=event`), { token: alice.access_token });
    expect(member.content).toEqual({ membership: "join", displayname: "Bobby", reason: "hi" });
    expect(member.unsigned?.prev_content).toMatchObject({ membership: "invite" });
    expect(await joinedRooms(bob)).toContain(roomId);
    // Joining again changes nothing.
    await api.ok(api.room(roomId, "/join"), { token: bob.access_token, body: {} });
    expect((await api.ok<ClientEvent>(api.room(roomId, `/state/m.room.member/${encodeURIComponent(bob.user_id)}?format=event`), { token: alice.access_token })).event_id).toBe(member.event_id);

    const joinedMembers = await api.ok<{ joined: Record<string, unknown> }>(api.room(roomId, "/joined_members"), { token: bob.access_token });
    expect(joinedMembers.joined).toEqual({ [alice.user_id]: { display_name: "alice" }, [bob.user_id]: { display_name: "Bobby" } });
    expect(await api.fails(api.room(roomId, "/joined_members"), { token: carol.access_token })).toMatchObject({ status: 403 });

    await api.ok(api.room(roomId, "/leave"), { token: bob.access_token, body: { reason: "bye" } });
    expect(await membership(alice, roomId, bob.user_id)).toBe("leave");
    expect(await joinedRooms(bob)).not.toContain(roomId);
    // A second leave is answered like the first.
    await api.ok(api.room(roomId, "/leave"), { token: bob.access_token, body: {} });
  });

  it("rejecting an invite; inviting needs the invite level; joining an unknown room is 404", async () => {
    const roomId = await api.createRoom(alice, { room_version: "11", power_level_content_override: { invite: 50 } });
    await api.ok(api.room(roomId, "/invite"), { token: alice.access_token, body: { user_id: bob.user_id } });
    await api.ok(api.room(roomId, "/leave"), { token: bob.access_token, body: {} });
    expect(await membership(alice, roomId, bob.user_id)).toBe("leave");

    await api.ok(api.room(roomId, "/invite"), { token: alice.access_token, body: { user_id: bob.user_id } });
    await api.ok(api.room(roomId, "/join"), { token: bob.access_token, body: {} });
    expect(await api.fails(api.room(roomId, "/invite"), { token: bob.access_token, body: { user_id: carol.user_id } })).toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });
    expect(await api.fails(api.room(roomId, "/invite"), { token: bob.access_token, body: {} })).toMatchObject({ status: 400, errcode: "M_MISSING_PARAM" });
    expect(await api.fails(api.room(roomId, "/invite"), { token: carol.access_token, body: { user_id: bob.user_id } })).toMatchObject({ status: 403 });
    expect(await api.fails(`/join/${encodeURIComponent(`!nowhere:${server.serverName}`)}`, { token: carol.access_token, body: {} })).toMatchObject({ status: 404 });
    expect(await api.fails(`/join/${encodeURIComponent(`#nothing:${server.serverName}`)}`, { token: carol.access_token, body: {} })).toMatchObject({ status: 404, errcode: "M_NOT_FOUND" });
    expect(await api.fails("/join/not-a-room", { token: carol.access_token, body: {} })).toMatchObject({ status: 400, errcode: "M_INVALID_PARAM" });
  });

  it("membership through PUT /state/m.room.member", async () => {
    const roomId = await api.createRoom(alice, { preset: "public_chat", room_version: "10" });
    await api.putState(bob, roomId, "m.room.member", bob.user_id, { membership: "join", displayname: "B" });
    expect(await membership(alice, roomId, bob.user_id)).toBe("join");
    await api.putState(alice, roomId, "m.room.member", carol.user_id, { membership: "invite" });
    expect(await membership(alice, roomId, carol.user_id)).toBe("invite");
    await api.putState(alice, roomId, "m.room.member", bob.user_id, { membership: "ban", reason: "rude" });
    expect(await membership(alice, roomId, bob.user_id)).toBe("ban");
  });
});

describe("kick, ban, unban", () => {
  it("needs the power levels; banned users cannot join until unbanned", async () => {
    const roomId = await api.createRoom(alice, { preset: "public_chat", room_version: "11" });
    await api.ok(api.room(roomId, "/join"), { token: bob.access_token, body: {} });
    await api.ok(api.room(roomId, "/join"), { token: carol.access_token, body: {} });

    expect(await api.fails(api.room(roomId, "/kick"), { token: bob.access_token, body: { user_id: carol.user_id } })).toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });
    await api.ok(api.room(roomId, "/kick"), { token: alice.access_token, body: { user_id: carol.user_id, reason: "timeout" } });
    const kicked = await api.ok<ClientEvent>(api.room(roomId, `/state/m.room.member/${encodeURIComponent(carol.user_id)}?format=event`), { token: alice.access_token });
    expect(kicked).toMatchObject({ sender: alice.user_id, content: { membership: "leave", reason: "timeout" } });
    expect(await api.fails(api.room(roomId, "/kick"), { token: alice.access_token, body: { user_id: carol.user_id } })).toMatchObject({ status: 403 });

    await api.ok(api.room(roomId, "/ban"), { token: alice.access_token, body: { user_id: carol.user_id, reason: "spam" } });
    expect(await membership(alice, roomId, carol.user_id)).toBe("ban");
    expect(await api.fails(api.room(roomId, "/join"), { token: carol.access_token, body: {} })).toMatchObject({ status: 403 });
    expect(await api.fails(api.room(roomId, "/unban"), { token: bob.access_token, body: { user_id: carol.user_id } })).toMatchObject({ status: 403 });
    expect(await api.fails(api.room(roomId, "/unban"), { token: alice.access_token, body: { user_id: bob.user_id } })).toMatchObject({ status: 403 });
    await api.ok(api.room(roomId, "/unban"), { token: alice.access_token, body: { user_id: carol.user_id } });
    expect(await membership(alice, roomId, carol.user_id)).toBe("leave");
    await api.ok(api.room(roomId, "/join"), { token: carol.access_token, body: {} });
    expect(await membership(alice, roomId, carol.user_id)).toBe("join");
  });
});

describe("members", () => {
  it("/members with membership filters, and at a token", async () => {
    const roomId = await api.createRoom(alice, { preset: "public_chat", room_version: "11", invite: [carol.user_id] });
    await api.ok(api.room(roomId, "/join"), { token: bob.access_token, body: {} });
    const path = (q: string) => api.room(roomId, `/members${q}`);
    const users = async (q: string) =>
      (await api.ok<{ chunk: ClientEvent[] }>(path(q), { token: alice.access_token })).chunk.map((e) => e.state_key).sort();
    expect(await users("")).toEqual([alice.user_id, bob.user_id, carol.user_id].sort());
    expect(await users("?membership=join")).toEqual([alice.user_id, bob.user_id].sort());
    expect(await users("?not_membership=join")).toEqual([carol.user_id]);
    expect(await users("?membership=invite&not_membership=invite")).toEqual([alice.user_id, bob.user_id, carol.user_id].sort());
    expect(await api.fails(path("?membership=maybe"), { token: alice.access_token })).toMatchObject({ status: 400 });

    const page = await api.ok<{ start: string }>(api.room(roomId, "/messages?dir=b&limit=1"), { token: alice.access_token });
    await api.ok(api.room(roomId, "/leave"), { token: bob.access_token, body: {} });
    expect(await users(`?membership=join&at=${encodeURIComponent(page.start)}`)).toEqual([alice.user_id, bob.user_id].sort());
    expect(await users("?membership=join")).toEqual([alice.user_id]);
  });
});

describe("forget", () => {
  it("only after leaving; a forgotten room's history is no longer served; rejoining revives it", async () => {
    const roomId = await api.createRoom(alice, { preset: "public_chat", room_version: "11" });
    await api.ok(api.room(roomId, "/join"), { token: bob.access_token, body: {} });
    const msg = await api.text(alice, roomId, "remember me");
    expect(await api.fails(api.room(roomId, "/forget"), { token: bob.access_token, body: {} })).toMatchObject({ status: 400, errcode: "M_UNKNOWN" });
    await api.ok(api.room(roomId, "/leave"), { token: bob.access_token, body: {} });
    expect((await api.ok<{ chunk: ClientEvent[] }>(api.room(roomId, "/messages?dir=b"), { token: bob.access_token })).chunk.map((e) => e.event_id)).toContain(msg);

    await api.ok(api.room(roomId, "/forget"), { token: bob.access_token, body: {} });
    expect(await api.fails(api.room(roomId, "/messages?dir=b"), { token: bob.access_token })).toMatchObject({ status: 403 });
    expect(await api.fails(api.room(roomId, `/event/${encodeURIComponent(msg)}`), { token: bob.access_token })).toMatchObject({ status: 404 });
    expect(await api.fails(api.room(roomId, "/state"), { token: bob.access_token })).toMatchObject({ status: 403 });

    await api.ok(api.room(roomId, "/join"), { token: bob.access_token, body: {} });
    await api.ok(api.room(roomId, "/leave"), { token: bob.access_token, body: {} });
    expect((await api.ok<{ chunk: ClientEvent[] }>(api.room(roomId, "/messages?dir=b&limit=50"), { token: bob.access_token })).chunk.map((e) => e.event_id)).toContain(msg);
  });
});

describe("knocking", () => {
  it("knock, then be invited and join; knocks need a knock join rule", async () => {
    const roomId = await api.createRoom(alice, { room_version: "10", initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }] });
    const res = await api.ok<{ room_id: string }>(`/knock/${encodeURIComponent(roomId)}`, { token: bob.access_token, body: { reason: "let me in" } });
    expect(res.room_id).toBe(roomId);
    expect(await membership(alice, roomId, bob.user_id)).toBe("knock");
    await api.ok(api.room(roomId, "/invite"), { token: alice.access_token, body: { user_id: bob.user_id } });
    await api.ok(api.room(roomId, "/join"), { token: bob.access_token, body: {} });
    expect(await membership(alice, roomId, bob.user_id)).toBe("join");

    const closed = await api.createRoom(alice, { room_version: "10" });
    expect(await api.fails(`/knock/${encodeURIComponent(closed)}`, { token: bob.access_token, body: {} })).toMatchObject({ status: 403 });
  });
});

describe("restricted rooms", () => {
  it("a local joiner must be joined to an allowed room; the join names an authorising user", async () => {
    const space = await api.createRoom(alice, { room_version: "10", invite: [bob.user_id] });
    await api.ok(api.room(space, "/join"), { token: bob.access_token, body: {} });
    const restricted = await api.createRoom(alice, {
      room_version: "10",
      initial_state: [{ type: "m.room.join_rules", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] } }],
    });
    expect(await api.fails(api.room(restricted, "/join"), { token: carol.access_token, body: {} })).toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });
    await api.ok(api.room(restricted, "/join"), { token: bob.access_token, body: {} });
    const join = await api.ok<ClientEvent>(api.room(restricted, `/state/m.room.member/${encodeURIComponent(bob.user_id)}?format=event`), { token: alice.access_token });
    expect(join.content).toMatchObject({ membership: "join", join_authorised_via_users_server: alice.user_id });

    // An allowed room this server is not in cannot be checked: no join without an invite.
    const elsewhere = await api.createRoom(alice, {
      room_version: "10",
      initial_state: [{ type: "m.room.join_rules", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: "!other:elsewhere.example" }] } }],
    });
    expect(await api.fails(api.room(elsewhere, "/join"), { token: bob.access_token, body: {} })).toMatchObject({ status: 403 });
    await api.ok(api.room(elsewhere, "/invite"), { token: alice.access_token, body: { user_id: bob.user_id } });
    await api.ok(api.room(elsewhere, "/join"), { token: bob.access_token, body: {} });
  });
});
