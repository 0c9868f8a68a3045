/**
 * Account data over HTTP against one real Conflux (modules/account_data.md, tags.md,
 * read_markers.md, invite_permission.md): global and room account data, the server-managed
 * types, tags, the fully-read marker, /sync delivery (initial, incremental, long-poll wake-up),
 * invite blocking through m.invite_permission_config, and persistence across a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/events/types.js";
import { tempDir } from "../helpers/temp.js";
import { SyncFixture, type SyncBody, type User } from "./sync-fixture.js";

let fx: SyncFixture;
let alice: User;
let bob: User;
let roomId: string;

const enc = encodeURIComponent;
const globalPath = (u: User, type: string): string => `/user/${enc(u.userId)}/account_data/${enc(type)}`;
const roomPath = (u: User, room: string, type: string): string => `/user/${enc(u.userId)}/rooms/${enc(room)}/account_data/${enc(type)}`;
const tagsPath = (u: User, room: string, tag?: string): string => `/user/${enc(u.userId)}/rooms/${enc(room)}/tags${tag === undefined ? "" : `/${enc(tag)}`}`;

function globalData(res: SyncBody): Record<string, JsonObject> {
  return Object.fromEntries(res.account_data.events.map((e) => [e.type as string, e.content as JsonObject]));
}

function roomData(res: SyncBody, room: string): Record<string, JsonObject> | undefined {
  const events = res.rooms.join[room]?.account_data?.events;
  return events === undefined ? undefined : Object.fromEntries(events.map((e) => [e.type as string, e.content as JsonObject]));
}

beforeAll(async () => {
  fx = await SyncFixture.start();
  alice = await fx.user("alice");
  bob = await fx.user("bob");
  roomId = await fx.createRoom(alice, { name: "Data room" });
});
afterAll(async () => {
  await fx?.stop();
});

describe("global and room account data", () => {
  it("PUT then GET returns the content; an unset type is 404 M_NOT_FOUND", async () => {
    await fx.ok(alice, globalPath(alice, "org.example.config"), { method: "PUT", body: { rooms: ["!a:x"], nested: { n: 1 } } });
    expect(await fx.ok(alice, globalPath(alice, "org.example.config"))).toEqual({ rooms: ["!a:x"], nested: { n: 1 } });
    const missing = await fx.call(alice, globalPath(alice, "org.example.unset"));
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
  });

  it("keeps a __proto__ key as data", async () => {
    const raw = '{"__proto__":{"polluted":true},"x":1}';
    const res = await fx.call(alice, globalPath(alice, "org.example.proto"), { method: "PUT", body: JSON.parse(raw) as unknown });
    expect(res.status).toBe(200);
    const got = await fx.call(alice, globalPath(alice, "org.example.proto"));
    expect(got.text).toContain('"__proto__":{"polluted":true}');
  });

  it("another user's account data is 403 M_FORBIDDEN, read or write", async () => {
    for (const [method, path] of [
      ["GET", globalPath(alice, "org.example.config")],
      ["PUT", globalPath(alice, "org.example.config")],
      ["GET", roomPath(alice, roomId, "org.example.room")],
      ["PUT", roomPath(alice, roomId, "org.example.room")],
      ["GET", tagsPath(alice, roomId)],
      ["PUT", tagsPath(alice, roomId, "u.work")],
    ] as const) {
      const res = await fx.call(bob, path, { method, ...(method === "PUT" ? { body: {} } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
    }
  });

  it("the body must be a JSON object", async () => {
    const array = await fx.call(alice, globalPath(alice, "org.example.bad"), { method: "PUT", body: [1, 2] });
    expect(array.status).toBe(400);
    expect(array.json()).toMatchObject({ errcode: "M_BAD_JSON" });
    const notJson = await fx.call(alice, globalPath(alice, "org.example.bad"), { method: "PUT", body: "{nope" });
    expect(notJson.status).toBe(400);
    expect(["M_NOT_JSON", "M_BAD_JSON"]).toContain(notJson.json<{ errcode: string }>().errcode);
  });

  it("m.fully_read and m.push_rules cannot be set by clients, globally or per room (405 M_BAD_JSON)", async () => {
    for (const type of ["m.fully_read", "m.push_rules"]) {
      for (const path of [globalPath(alice, type), roomPath(alice, roomId, type)]) {
        const res = await fx.call(alice, path, { method: "PUT", body: { event_id: "$x" } });
        expect(res.status, path).toBe(405);
        expect(res.json()).toMatchObject({ errcode: "M_BAD_JSON" });
      }
    }
    // …but m.push_rules is read as normal: the user's current rules.
    const rules = await fx.ok<{ global: { override: { rule_id: string }[] } }>(alice, globalPath(alice, "m.push_rules"));
    expect(rules.global.override[0]!.rule_id).toBe(".m.rule.master");
  });

  it("room account data is separate from global account data, and the room ID is checked", async () => {
    await fx.ok(alice, roomPath(alice, roomId, "org.example.room"), { method: "PUT", body: { colour: "blue" } });
    expect(await fx.ok(alice, roomPath(alice, roomId, "org.example.room"))).toEqual({ colour: "blue" });
    // No inheritance in either direction.
    expect((await fx.call(alice, globalPath(alice, "org.example.room"))).status).toBe(404);
    expect((await fx.call(alice, roomPath(alice, roomId, "org.example.config"))).status).toBe(404);
    for (const method of ["GET", "PUT"]) {
      const res = await fx.call(alice, roomPath(alice, "@not-a-room:x", "org.example.room"), { method, ...(method === "PUT" ? { body: {} } : {}) });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
    }
  });

  it("an over-long type is refused", async () => {
    const res = await fx.call(alice, globalPath(alice, "x".repeat(256)), { method: "PUT", body: {} });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
  });
});

describe("account data in /sync", () => {
  it("an initial sync has all global account data (with push rules) and the room's", async () => {
    const res = await fx.sync(alice);
    const global = globalData(res);
    expect(global["org.example.config"]).toMatchObject({ rooms: ["!a:x"] });
    expect(global["m.push_rules"]).toHaveProperty("global.override");
    expect(roomData(res, roomId)).toMatchObject({ "org.example.room": { colour: "blue" } });
    expect(globalData(await fx.sync(bob))).not.toHaveProperty("org.example.config");
  });

  it("an incremental sync has only what changed, at its latest content", async () => {
    const first = await fx.sync(alice);
    await fx.ok(alice, globalPath(alice, "org.example.counter"), { method: "PUT", body: { n: 1 } });
    await fx.ok(alice, globalPath(alice, "org.example.counter"), { method: "PUT", body: { n: 2 } });
    const res = await fx.sync(alice, { since: first.next_batch });
    expect(res.account_data.events).toEqual([{ type: "org.example.counter", content: { n: 2 } }]);
    expect(res.rooms.join[roomId]).toBeUndefined();
    const again = await fx.sync(alice, { since: res.next_batch });
    expect(again.account_data.events).toEqual([]);
  });

  it("a waiting sync wakes up for new room account data", async () => {
    const first = await fx.sync(alice);
    const waiting = fx.sync(alice, { since: first.next_batch, timeout: 30_000 });
    await fx.syncsWaiting(1);
    await fx.ok(alice, roomPath(alice, roomId, "org.example.room"), { method: "PUT", body: { colour: "green" } });
    const res = await waiting;
    expect(res.account_data.events).toEqual([]);
    expect(roomData(res, roomId)).toEqual({ "org.example.room": { colour: "green" } });
  });

  it("the account_data filter applies", async () => {
    const res = await fx.sync(alice, { filter: { account_data: { types: ["org.example.counter"] }, room: { account_data: { not_types: ["*"] } } } });
    expect(res.account_data.events.map((e) => e.type)).toEqual(["org.example.counter"]);
    expect(roomData(res, roomId) ?? {}).toEqual({});
  });
});

describe("room tags", () => {
  it("PUT, GET, DELETE tags; they reach /sync as the room's m.tag", async () => {
    const first = await fx.sync(alice);
    await fx.ok(alice, tagsPath(alice, roomId, "m.favourite"), { method: "PUT", body: { order: 0.25 } });
    await fx.ok(alice, tagsPath(alice, roomId, "u.Work"), { method: "PUT", body: {} });
    expect(await fx.ok(alice, tagsPath(alice, roomId))).toEqual({ tags: { "m.favourite": { order: 0.25 }, "u.Work": {} } });
    const res = await fx.sync(alice, { since: first.next_batch });
    expect(roomData(res, roomId)).toEqual({ "m.tag": { tags: { "m.favourite": { order: 0.25 }, "u.Work": {} } } });
    expect(await fx.ok(alice, roomPath(alice, roomId, "m.tag"))).toEqual({ tags: { "m.favourite": { order: 0.25 }, "u.Work": {} } });

    await fx.ok(alice, tagsPath(alice, roomId, "u.Work"), { method: "DELETE" });
    await fx.ok(alice, tagsPath(alice, roomId, "u.Missing"), { method: "DELETE" });
    expect(await fx.ok(alice, tagsPath(alice, roomId))).toEqual({ tags: { "m.favourite": { order: 0.25 } } });
    const other = await fx.createRoom(alice, {});
    expect(await fx.ok(alice, tagsPath(alice, other))).toEqual({ tags: {} });
  });

  it("concurrent tag changes all land", async () => {
    const room = await fx.createRoom(alice, {});
    await Promise.all(["a", "b", "c", "d", "e"].map((t) => fx.ok(alice, tagsPath(alice, room, `u.${t}`), { method: "PUT", body: {} })));
    expect(Object.keys((await fx.ok<{ tags: JsonObject }>(alice, tagsPath(alice, room))).tags).sort()).toEqual(["u.a", "u.b", "u.c", "u.d", "u.e"]);
  });

  it("order must be a number and a tag at most 255 bytes", async () => {
    const bad = await fx.call(alice, tagsPath(alice, roomId, "u.x"), { method: "PUT", body: { order: "first" } });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
    const long = await fx.call(alice, tagsPath(alice, roomId, "u." + "é".repeat(127)), { method: "PUT", body: {} });
    expect(long.status).toBe(400);
  });
});

describe("the fully read marker", () => {
  it("POST /read_markers sets m.fully_read, which /sync and GET deliver", async () => {
    const eventId = await fx.send(roomId, alice, "read me");
    const first = await fx.sync(alice);
    await fx.ok(alice, `/rooms/${enc(roomId)}/read_markers`, { body: { "m.fully_read": eventId } });
    const res = await fx.sync(alice, { since: first.next_batch });
    expect(roomData(res, roomId)).toEqual({ "m.fully_read": { event_id: eventId } });
    expect(await fx.ok(alice, roomPath(alice, roomId, "m.fully_read"))).toEqual({ event_id: eventId });
  });
});

describe("invite blocking (m.invite_permission_config)", () => {
  it("blocks invites while default_action is block, and only then", async () => {
    const room = await fx.createRoom(alice, {});
    await fx.ok(bob, globalPath(bob, "m.invite_permission_config"), { method: "PUT", body: { default_action: "block" } });
    const blocked = await fx.call(alice, `/rooms/${enc(room)}/invite`, { body: { user_id: bob.userId } });
    expect(blocked.status).toBe(403);
    expect(blocked.json()).toMatchObject({ errcode: "M_INVITE_BLOCKED" });

    await fx.ok(bob, globalPath(bob, "m.invite_permission_config"), { method: "PUT", body: {} });
    await fx.ok(alice, `/rooms/${enc(room)}/invite`, { body: { user_id: bob.userId } });
    expect((await fx.sync(bob)).rooms?.invite?.[room]).toBeDefined();

    // Invites already held MUST NOT be served over /sync while blocking is on; they come back after.
    await fx.ok(bob, globalPath(bob, "m.invite_permission_config"), { method: "PUT", body: { default_action: "block" } });
    expect((await fx.sync(bob)).rooms?.invite?.[room]).toBeUndefined();
    await fx.ok(bob, globalPath(bob, "m.invite_permission_config"), { method: "PUT", body: {} });
    expect((await fx.sync(bob)).rooms?.invite?.[room]).toBeDefined();
  });
});

describe("persistence", () => {
  it("account data and its stream position survive a restart", async () => {
    const dir = tempDir("conflux-account-data-");
    try {
      const first = await SyncFixture.start({ dir });
      const port = Number(first.server.serverName.split(":")[1]);
      const carol = await first.user("carol");
      await first.ok(carol, globalPath(carol, "org.example.kept"), { method: "PUT", body: { v: 1 } });
      const before = await first.sync(carol);
      await first.stop();

      const second = await SyncFixture.start({ dir, federationPort: port });
      try {
        expect(await second.ok(carol, globalPath(carol, "org.example.kept"))).toEqual({ v: 1 });
        await second.ok(carol, globalPath(carol, "org.example.kept"), { method: "PUT", body: { v: 2 } });
        const res = await second.sync(carol, { since: before.next_batch });
        expect(res.account_data.events).toEqual([{ type: "org.example.kept", content: { v: 2 } }]);
      } finally {
        await second.stop();
      }
    } finally {
      dir.cleanup();
    }
  });
});
