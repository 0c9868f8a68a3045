/**
 * Client-server room API against one real Conflux: room creation (presets, order of initial
 * events, power levels per room version, alias, errors), sending with transaction IDs,
 * state, single events in client format, and redactions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../helpers/server.js";
import { startWithUsers, type ClientApi, type ClientEvent, type MessagesPage, type Session } from "./client-rooms-fixture.js";

let server: TestServer;
let api: ClientApi;
let alice: Session;
let bob: Session;
let carol: Session;

beforeAll(async () => {
  ({ server, api, alice, bob, carol } = await startWithUsers());
  await api.ok(`/profile/${encodeURIComponent(alice.user_id)}/displayname`, { token: alice.access_token, method: "PUT", body: { displayname: "Alice" } });
});
afterAll(async () => {
  await server?.stop();
});

async function allEvents(s: Session, roomId: string): Promise<ClientEvent[]> {
  const page = await api.ok<MessagesPage>(api.room(roomId, "/messages?dir=f&limit=100"), { token: s.access_token });
  return page.chunk;
}

function stateOf(events: ClientEvent[], type: string, key = ""): ClientEvent | undefined {
  return events.find((e) => e.type === type && e.state_key === key);
}

describe("createRoom", () => {
  it("private_chat by default: the initial events in the spec's order, with the creator's profile", async () => {
    const roomId = await api.createRoom(alice, { name: "Tea", topic: "Earl Grey", invite: [bob.user_id], room_version: "10" });
    const events = await allEvents(alice, roomId);
    expect(events.map((e) => `${e.type}|${e.state_key ?? ""}`)).toEqual([
      "m.room.create|",
      `m.room.member|${alice.user_id}`,
      "m.room.power_levels|",
      "m.room.join_rules|",
      "m.room.history_visibility|",
      "m.room.guest_access|",
      "m.room.name|",
      "m.room.topic|",
      `m.room.member|${bob.user_id}`,
    ]);
    const create = events[0]!;
    expect(create.content).toMatchObject({ creator: alice.user_id, room_version: "10" });
    expect(events[1]!.content).toEqual({ membership: "join", displayname: "Alice" });
    const pl = events[2]!.content;
    expect(pl.users).toEqual({ [alice.user_id]: 100 });
    expect(pl).toMatchObject({ state_default: 50, events_default: 0, users_default: 0, ban: 50, kick: 50, redact: 50, invite: 0 });
    expect(events[3]!.content).toEqual({ join_rule: "invite" });
    expect(events[4]!.content).toEqual({ history_visibility: "shared" });
    expect(events[5]!.content).toEqual({ guest_access: "can_join" });
    expect(events[7]!.content).toEqual({ topic: "Earl Grey", "m.topic": { "m.text": [{ body: "Earl Grey", mimetype: "text/plain" }] } });
    expect(events[8]!.content).toEqual({ membership: "invite" });
  });

  it("client format: no federation fields, room_id, age, prev_content and replaces_state", async () => {
    const roomId = await api.createRoom(alice, { room_version: "11" });
    const first = await api.putState(alice, roomId, "m.room.topic", "", { topic: "one" });
    const second = await api.putState(alice, roomId, "m.room.topic", "", { topic: "two" });
    const ev = await api.ok<ClientEvent>(api.room(roomId, `/event/${encodeURIComponent(second)}`), { token: alice.access_token });
    expect(Object.keys(ev).sort()).toEqual(["content", "event_id", "origin_server_ts", "room_id", "sender", "state_key", "type", "unsigned"]);
    expect(ev.room_id).toBe(roomId);
    expect(ev.unsigned).toMatchObject({ prev_content: { topic: "one" }, replaces_state: first, membership: "join" });
    expect(typeof ev.unsigned!.age).toBe("number");
    const create = (await allEvents(alice, roomId))[0]!;
    expect(create.content).toEqual({ room_version: "11" });
  });

  it("public_chat with alias and visibility: canonical alias, directory, alias resolution", async () => {
    const roomId = await api.createRoom(alice, { preset: "public_chat", room_alias_name: "pub", visibility: "public", name: "Pub" });
    const alias = `#pub:${server.serverName}`;
    const events = await allEvents(alice, roomId);
    expect(stateOf(events, "m.room.canonical_alias")?.content).toEqual({ alias });
    expect(stateOf(events, "m.room.join_rules")?.content).toEqual({ join_rule: "public" });
    expect(stateOf(events, "m.room.guest_access")?.content).toEqual({ guest_access: "forbidden" });
    expect(stateOf(events, "m.room.power_levels")?.content.invite).toBe(50);
    expect(await api.ok(`/directory/room/${encodeURIComponent(alias)}`)).toMatchObject({ room_id: roomId });
    expect(await api.ok(`/directory/list/room/${encodeURIComponent(roomId)}`)).toEqual({ visibility: "public" });
    const again = await api.fails("/createRoom", { token: alice.access_token, body: { room_alias_name: "pub" } });
    expect(again).toMatchObject({ status: 400, errcode: "M_ROOM_IN_USE" });
  });

  it("room version 12: creators outside the power levels, tombstone above state_default, trusted invitees as creators", async () => {
    const roomId = await api.createRoom(alice, { room_version: "12", preset: "trusted_private_chat", invite: [bob.user_id] });
    expect(roomId).not.toContain(":");
    const events = await allEvents(alice, roomId);
    const create = stateOf(events, "m.room.create")!;
    expect(create.content).toEqual({ room_version: "12", additional_creators: [bob.user_id] });
    const pl = stateOf(events, "m.room.power_levels")!.content;
    expect(pl.users).toEqual({});
    expect((pl.events as Record<string, number>)["m.room.tombstone"]).toBe(150);
    expect(stateOf(events, `m.room.member`, bob.user_id)?.content).toEqual({ membership: "invite" });

    const v11 = await api.createRoom(alice, { room_version: "11", preset: "trusted_private_chat", invite: [bob.user_id], is_direct: true });
    const e11 = await allEvents(alice, v11);
    expect(stateOf(e11, "m.room.power_levels")!.content.users).toEqual({ [alice.user_id]: 100, [bob.user_id]: 100 });
    expect(stateOf(e11, "m.room.member", bob.user_id)?.content).toEqual({ membership: "invite", is_direct: true });
  });

  it("initial_state takes precedence over the preset; name and topic override initial_state", async () => {
    const roomId = await api.createRoom(alice, {
      preset: "private_chat",
      name: "Real name",
      initial_state: [
        { type: "m.room.join_rules", content: { join_rule: "public" } },
        { type: "m.room.name", state_key: "", content: { name: "ignored" } },
        { type: "org.example.custom", state_key: "k", content: { v: 1 } },
      ],
    });
    const events = await allEvents(alice, roomId);
    expect(events.filter((e) => e.type === "m.room.join_rules").map((e) => e.content)).toEqual([{ join_rule: "public" }]);
    expect(events.filter((e) => e.type === "m.room.name").map((e) => e.content)).toEqual([{ name: "Real name" }]);
    expect(stateOf(events, "org.example.custom", "k")?.content).toEqual({ v: 1 });
  });

  it("power_level_content_override applies on top of the default", async () => {
    const roomId = await api.createRoom(alice, { room_version: "10", power_level_content_override: { events_default: 10, users: { [alice.user_id]: 100, [bob.user_id]: 50 } } });
    const pl = stateOf(await allEvents(alice, roomId), "m.room.power_levels")!.content;
    expect(pl).toMatchObject({ events_default: 10, users: { [alice.user_id]: 100, [bob.user_id]: 50 }, state_default: 50 });
  });

  it("refuses bad requests without creating anything", async () => {
    const t = alice.access_token;
    const joinedBefore = (await api.ok<{ joined_rooms: string[] }>("/joined_rooms", { token: t })).joined_rooms.length;
    expect(await api.fails("/createRoom", { token: t, body: { room_version: "999" } })).toMatchObject({ status: 400, errcode: "M_UNSUPPORTED_ROOM_VERSION" });
    expect(await api.fails("/createRoom", { token: t, body: { preset: "party" } })).toMatchObject({ status: 400, errcode: "M_BAD_JSON" });
    expect(await api.fails("/createRoom", { token: t, body: { invite: ["not-a-user"] } })).toMatchObject({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await api.fails("/createRoom", { token: t, body: { initial_state: [{ type: "x" }] } })).toMatchObject({ status: 400, errcode: "M_BAD_JSON" });
    // The creator loses the power to send the name (and everything else after the power levels).
    const override = { room_version: "10", power_level_content_override: { users: {}, state_default: 100 }, name: "no" };
    expect(await api.fails("/createRoom", { token: t, body: override })).toMatchObject({ status: 400, errcode: "M_INVALID_ROOM_STATE" });
    expect(await api.fails("/createRoom", { token: t, body: { room_version: "11", creation_content: { x: 1.5 } } })).toMatchObject({ status: 400, errcode: "M_BAD_JSON" });
    expect((await api.ok<{ joined_rooms: string[] }>("/joined_rooms", { token: t })).joined_rooms.length).toBe(joinedBefore);
    expect(await api.fails("/createRoom", { body: {} })).toMatchObject({ status: 401, errcode: "M_MISSING_TOKEN" });
  });
});

describe("sending", () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await api.createRoom(alice, { preset: "public_chat" });
  });

  it("a retransmitted transaction ID returns the same event; transaction_id only for the sending device", async () => {
    const a = await api.send(alice, roomId, { msgtype: "m.text", body: "once" }, "m.room.message", "txn-1");
    const b = await api.send(alice, roomId, { msgtype: "m.text", body: "once" }, "m.room.message", "txn-1");
    expect(b).toBe(a);
    const c = await api.send(alice, roomId, { msgtype: "m.text", body: "other type" }, "org.example.thing", "txn-1");
    expect(c).not.toBe(a);
    // Concurrent duplicates share one send.
    const [d1, d2] = await Promise.all([
      api.send(alice, roomId, { msgtype: "m.text", body: "race" }, "m.room.message", "txn-2"),
      api.send(alice, roomId, { msgtype: "m.text", body: "race" }, "m.room.message", "txn-2"),
    ]);
    expect(d1).toBe(d2);
    const bodies = (await allEvents(alice, roomId)).filter((e) => e.type === "m.room.message").map((e) => e.content.body);
    expect(bodies).toEqual(["once", "race"]);

    const mine = await api.ok<ClientEvent>(api.room(roomId, `/event/${encodeURIComponent(a)}`), { token: alice.access_token });
    expect(mine.unsigned?.transaction_id).toBe("txn-1");
    const otherDevice = await api.login("alice");
    const theirs = await api.ok<ClientEvent>(api.room(roomId, `/event/${encodeURIComponent(a)}`), { token: otherDevice.access_token });
    expect(theirs.unsigned?.transaction_id).toBeUndefined();
    // Another device's txnId space is its own.
    const e = await api.send(otherDevice, roomId, { msgtype: "m.text", body: "second device" }, "m.room.message", "txn-1");
    expect(e).not.toBe(a);
  });

  it("validates messages, sizes, membership and canonical JSON", async () => {
    const path = (txn: string, type = "m.room.message") => api.room(roomId, `/send/${type}/${txn}`);
    const t = alice.access_token;
    expect(await api.fails(path("v1"), { token: t, method: "PUT", body: { msgtype: "m.text" } })).toMatchObject({ status: 400, errcode: "M_BAD_JSON" });
    expect(await api.fails(path("v2"), { token: t, method: "PUT", body: { body: "x" } })).toMatchObject({ status: 400, errcode: "M_BAD_JSON" });
    expect(await api.fails(path("v3", "org.example"), { token: t, method: "PUT", body: { big: "x".repeat(70_000) } })).toMatchObject({ status: 413, errcode: "M_TOO_LARGE" });
    expect(await api.fails(path("v4", "org.example"), { token: t, method: "PUT", body: { f: 0.5 } })).toMatchObject({ status: 400, errcode: "M_BAD_JSON" });
    expect(await api.fails(path("v5"), { token: carol.access_token, method: "PUT", body: { msgtype: "m.text", body: "not joined" } })).toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });
  });
});

describe("state", () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await api.createRoom(alice, { preset: "public_chat", name: "State room" });
  });

  it("PUT and GET a state event, with and without a state key, content or whole event", async () => {
    const id = await api.putState(alice, roomId, "org.example.fav", alice.user_id, { animal: "cat" });
    const content = await api.ok(api.room(roomId, `/state/org.example.fav/${encodeURIComponent(alice.user_id)}`), { token: alice.access_token });
    expect(content).toEqual({ animal: "cat" });
    const ev = await api.ok<ClientEvent>(api.room(roomId, `/state/org.example.fav/${encodeURIComponent(alice.user_id)}?format=event`), { token: alice.access_token });
    expect(ev).toMatchObject({ event_id: id, type: "org.example.fav", state_key: alice.user_id, content: { animal: "cat" }, room_id: roomId });
    // Empty state key: the trailing slash is optional.
    await api.ok(api.room(roomId, "/state/m.room.topic"), { token: alice.access_token, method: "PUT", body: { topic: "hi" } });
    expect(await api.ok(api.room(roomId, "/state/m.room.topic/"), { token: alice.access_token })).toEqual({ topic: "hi" });
    expect(await api.fails(api.room(roomId, "/state/m.room.avatar"), { token: alice.access_token })).toMatchObject({ status: 404, errcode: "M_NOT_FOUND" });
    // The same content again from the same sender is the same event.
    expect(await api.putState(alice, roomId, "org.example.fav", alice.user_id, { animal: "cat" })).toBe(id);
    // Keys starting with @ belong to that user.
    expect(await api.fails(api.room(roomId, `/state/org.example.fav/${encodeURIComponent(bob.user_id)}`), { token: alice.access_token, method: "PUT", body: {} })).toMatchObject({ status: 403 });
  });

  it("non-members get 403; former members see the state as of their leave", async () => {
    expect(await api.fails(api.room(roomId, "/state"), { token: bob.access_token })).toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });
    await api.ok(`/join/${encodeURIComponent(roomId)}`, { token: bob.access_token, body: {} });
    const whileIn = await api.ok<ClientEvent[]>(api.room(roomId, "/state"), { token: bob.access_token });
    expect(whileIn.find((e) => e.type === "m.room.name")?.content).toEqual({ name: "State room" });
    await api.ok(api.room(roomId, "/leave"), { token: bob.access_token, body: {} });
    await api.putState(alice, roomId, "m.room.name", "", { name: "Renamed" });
    const after = await api.ok<ClientEvent[]>(api.room(roomId, "/state"), { token: bob.access_token });
    expect(after.find((e) => e.type === "m.room.name")?.content).toEqual({ name: "State room" });
    expect(after.find((e) => e.type === "m.room.member" && e.state_key === bob.user_id)?.content.membership).toBe("leave");
    expect(await api.ok(api.room(roomId, "/state/m.room.name"), { token: bob.access_token })).toEqual({ name: "State room" });
  });

  it("canonical alias: new aliases must be valid and point to the room", async () => {
    const t = alice.access_token;
    const other = await api.createRoom(alice, { room_alias_name: "elsewhere" });
    expect(other).not.toBe(roomId);
    const path = api.room(roomId, "/state/m.room.canonical_alias");
    expect(await api.fails(path, { token: t, method: "PUT", body: { alias: "not an alias" } })).toMatchObject({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await api.fails(path, { token: t, method: "PUT", body: { alias: `#elsewhere:${server.serverName}` } })).toMatchObject({ status: 400, errcode: "M_BAD_ALIAS" });
    expect(await api.fails(path, { token: t, method: "PUT", body: { alt_aliases: [`#nowhere:${server.serverName}`] } })).toMatchObject({ status: 400, errcode: "M_BAD_ALIAS" });
    await api.ok(`/directory/room/${encodeURIComponent(`#state:${server.serverName}`)}`, { token: t, method: "PUT", body: { room_id: roomId } });
    await api.ok(path, { token: t, method: "PUT", body: { alias: `#state:${server.serverName}` } });
  });
});

describe("redactions", () => {
  it("own events with the redaction level, others' only with the redact level; redacted copy with redacted_because", async () => {
    const roomId = await api.createRoom(alice, { preset: "public_chat", room_version: "11" });
    await api.ok(`/join/${encodeURIComponent(roomId)}`, { token: bob.access_token, body: {} });
    const mine = await api.text(bob, roomId, "oops");
    const hers = await api.text(alice, roomId, "mine");

    const r1 = await api.ok<{ event_id: string }>(api.room(roomId, `/redact/${encodeURIComponent(mine)}/r1`), { token: bob.access_token, method: "PUT", body: { reason: "typo" } });
    const again = await api.ok<{ event_id: string }>(api.room(roomId, `/redact/${encodeURIComponent(mine)}/r1`), { token: bob.access_token, method: "PUT", body: { reason: "typo" } });
    expect(again.event_id).toBe(r1.event_id);
    expect(await api.fails(api.room(roomId, `/redact/${encodeURIComponent(hers)}/r2`), { token: bob.access_token, method: "PUT", body: {} })).toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });

    const redacted = await api.ok<ClientEvent>(api.room(roomId, `/event/${encodeURIComponent(mine)}`), { token: alice.access_token });
    expect(redacted.content).toEqual({});
    const because = redacted.unsigned?.redacted_because as ClientEvent;
    expect(because).toMatchObject({ event_id: r1.event_id, type: "m.room.redaction", redacts: mine, content: { redacts: mine, reason: "typo" }, sender: bob.user_id });

    // Alice (power 100) may redact Bob's events, here through /send (1.18).
    const other = await api.text(bob, roomId, "spam");
    const viaSend = await api.send(alice, roomId, { redacts: other, reason: "spam" }, "m.room.redaction");
    const ev = await api.ok<ClientEvent>(api.room(roomId, `/event/${encodeURIComponent(viaSend)}`), { token: alice.access_token });
    expect(ev).toMatchObject({ redacts: other, content: { redacts: other, reason: "spam" } });
  });

  it("before v11 the redacts of /send moves to the top level", async () => {
    const roomId = await api.createRoom(alice, { room_version: "10" });
    const target = await api.text(alice, roomId, "bye");
    const id = await api.send(alice, roomId, { redacts: target }, "m.room.redaction");
    const ev = await api.ok<ClientEvent>(api.room(roomId, `/event/${encodeURIComponent(id)}`), { token: alice.access_token });
    expect(ev.redacts).toBe(target);
    expect(ev.content).toEqual({});
    const gone = await api.ok<ClientEvent>(api.room(roomId, `/event/${encodeURIComponent(target)}`), { token: alice.access_token });
    expect(gone.content).toEqual({});
    expect((gone.unsigned?.redacted_because as ClientEvent).event_id).toBe(id);
  });
});
