/**
 * Filters over HTTP: POST/GET /user/{userId}/filter, stored and inline filters on /sync
 * (timeline types, rooms/not_rooms, event_fields, event_format, lazy-loaded members).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodies, SyncFixture, type User } from "./sync-fixture.js";

let fx: SyncFixture;
let alice: User;
let bob: User;
let roomA: string;
let roomB: string;

beforeAll(async () => {
  fx = await SyncFixture.start();
  alice = await fx.user("alice");
  bob = await fx.user("bob");
  roomA = await fx.createRoom(alice, { name: "A" });
  roomB = await fx.createRoom(alice, { name: "B" });
  await fx.membership(roomA, bob, bob.userId, "join");
  await fx.send(roomA, bob, "from bob");
  await fx.send(roomA, alice, "from alice");
  await fx.send(roomB, alice, "in B");
});
afterAll(async () => {
  await fx?.stop();
});

describe("filter endpoints", () => {
  it("stores a filter and returns it by ID", async () => {
    const filter = { room: { timeline: { limit: 5, types: ["m.room.message"] } }, event_fields: ["type", "content.body"] };
    const { filter_id } = await fx.ok<{ filter_id: string }>(alice, `/user/${encodeURIComponent(alice.userId)}/filter`, { body: filter });
    expect(filter_id).not.toMatch(/^\{/);
    expect(await fx.ok(alice, `/user/${encodeURIComponent(alice.userId)}/filter/${filter_id}`)).toEqual(filter);
    const second = await fx.ok<{ filter_id: string }>(alice, `/user/${encodeURIComponent(alice.userId)}/filter`, { body: {} });
    expect(second.filter_id).not.toBe(filter_id);
  });

  it("is per user and validated", async () => {
    const { filter_id } = await fx.ok<{ filter_id: string }>(alice, `/user/${encodeURIComponent(alice.userId)}/filter`, { body: {} });
    expect((await fx.call(bob, `/user/${encodeURIComponent(alice.userId)}/filter/${filter_id}`)).status).toBe(403);
    expect((await fx.call(bob, `/user/${encodeURIComponent(bob.userId)}/filter/${filter_id}9999`)).status).toBe(404);
    const bad = await fx.call(alice, `/user/${encodeURIComponent(alice.userId)}/filter`, { body: { room: { timeline: { limit: -1 } } } });
    expect(bad.status).toBe(400);
    expect(bad.json<{ errcode: string }>().errcode).toBe("M_BAD_JSON");
    const unknown = await fx.call(alice, "/sync?filter=424242");
    expect(unknown.status).toBe(400);
  });
});

describe("filters on /sync", () => {
  it("a stored filter applies timeline types and event_fields", async () => {
    const filter = { room: { timeline: { types: ["m.room.message"] } }, event_fields: ["type", "content.body", "sender"] };
    const { filter_id } = await fx.ok<{ filter_id: string }>(alice, `/user/${encodeURIComponent(alice.userId)}/filter`, { body: filter });
    const res = await fx.sync(alice, { filter: filter_id });
    const events = res.rooms.join[roomA]!.timeline.events;
    expect(events.map((e) => e.type)).toEqual(["m.room.message", "m.room.message"]);
    expect(events[0]).toEqual({ type: "m.room.message", sender: bob.userId, content: { body: "from bob" } });
  });

  it("rooms / not_rooms pick the rooms", async () => {
    const only = await fx.sync(alice, { filter: { room: { rooms: [roomB] } } });
    expect(Object.keys(only.rooms.join)).toEqual([roomB]);
    const without = await fx.sync(alice, { filter: { room: { not_rooms: [roomB] } } });
    expect(Object.keys(without.rooms.join)).toContain(roomA);
    expect(Object.keys(without.rooms.join)).not.toContain(roomB);
  });

  it("not_senders drops events and event_format federation returns PDUs", async () => {
    const res = await fx.sync(alice, { filter: { room: { timeline: { not_senders: [bob.userId], types: ["m.room.message"] } }, event_format: "federation" } });
    const events = res.rooms.join[roomA]!.timeline.events;
    expect(bodies(events)).toEqual(["from alice"]);
    expect(events[0]).toHaveProperty("signatures");
    expect(events[0]).toHaveProperty("hashes");
  });

  it("lazy_load_members keeps only the senders' and the viewer's member events", async () => {
    const carol = await fx.user("carol");
    await fx.membership(roomA, carol, carol.userId, "join");
    for (let i = 0; i < 3; i++) await fx.send(roomA, alice, `lazy ${i}`);
    const res = await fx.sync(bob, { filter: { room: { timeline: { limit: 2 }, state: { lazy_load_members: true } } } });
    const room = res.rooms.join[roomA]!;
    const members = room.state!.events.filter((e) => e.type === "m.room.member").map((e) => e.state_key).sort();
    expect(members).toEqual([alice.userId, bob.userId].sort());
    expect(room.state!.events.map((e) => e.type)).toContain("m.room.create");
    const full = await fx.sync(bob, { filter: { room: { timeline: { limit: 2 } } } });
    expect(full.rooms.join[roomA]!.state!.events.filter((e) => e.type === "m.room.member").map((e) => e.state_key)).toContain(carol.userId);
  });
});

describe("lazy-loading on incremental syncs", () => {
  it("sends the timeline senders' member events, without reporting them as membership changes", async () => {
    const room = await fx.createRoom(alice, { name: "Lazy", encrypted: true });
    await fx.membership(room, bob, bob.userId, "join");
    const lazy = { room: { state: { lazy_load_members: true } } };
    const { next_batch } = await fx.sync(alice, { filter: lazy });
    await fx.send(room, bob, "lazy hello");
    const res = await fx.sync(alice, { since: next_batch, filter: lazy });
    const section = res.rooms.join[room]!;
    expect(bodies(section.timeline.events)).toEqual(["lazy hello"]);
    expect(section.state!.events.filter((e) => e.type === "m.room.member").map((e) => e.state_key)).toContain(bob.userId);
    expect(res.device_lists.changed).not.toContain(bob.userId);
  });
});
