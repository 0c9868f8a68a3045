/**
 * Reading history through the client API on one real Conflux: /messages pagination both ways
 * with start/end/to tokens, filters and lazy-loaded members, /context, and history visibility
 * (joined-only history, nothing after a leave).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../helpers/server.js";
import { startWithUsers, type ClientApi, type ClientEvent, type MessagesPage, type Session } from "./client-rooms-fixture.js";

let server: TestServer;
let api: ClientApi;
let alice: Session;
let bob: Session;
let carol: Session;
let roomId: string;
const sent: string[] = [];

beforeAll(async () => {
  ({ server, api, alice, bob, carol } = await startWithUsers());
  roomId = await api.createRoom(alice, { preset: "public_chat", room_version: "11" });
  await api.ok(api.room(roomId, "/join"), { token: bob.access_token, body: {} });
  for (let i = 0; i < 15; i++) sent.push(await api.text(i % 2 === 0 ? alice : bob, roomId, `m${i}`));
  await api.send(alice, roomId, { url: "mxc://example/abc", msgtype: "m.image", body: "pic" });
});
afterAll(async () => {
  await server?.stop();
});

function messages(s: Session, query: string): Promise<MessagesPage> {
  return api.ok<MessagesPage>(api.room(roomId, `/messages?${query}`), { token: s.access_token });
}

describe("/messages", () => {
  it("pages backwards from the end until no `end`, newest first, covering every event once", async () => {
    const seen: ClientEvent[] = [];
    let page = await messages(alice, "dir=b&limit=5");
    expect(page.chunk).toHaveLength(5);
    expect(page.chunk[0]!.content.body).toBe("pic");
    let pages = 1;
    for (;;) {
      seen.push(...page.chunk);
      if (page.end === undefined) break;
      const next = await messages(alice, `dir=b&limit=5&from=${encodeURIComponent(page.end)}`);
      expect(next.start).toBe(page.end);
      page = next;
      pages++;
    }
    expect(pages).toBeGreaterThan(3);
    const ids = seen.map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(seen[seen.length - 1]!.type).toBe("m.room.create");
    const texts = seen.filter((e) => e.type === "m.room.message" && typeof e.content.body === "string" && /^m\d+$/.test(e.content.body)).map((e) => e.event_id);
    expect(texts).toEqual([...sent].reverse());
  });

  it("pages forwards from the start, and stops at `to`", async () => {
    const first = await messages(alice, "dir=f&limit=3");
    expect(first.chunk.map((e) => e.type)).toEqual(["m.room.create", "m.room.member", "m.room.power_levels"]);
    expect(first.end).toBeDefined();
    const ahead = await messages(alice, `dir=f&limit=100&from=${encodeURIComponent(first.end!)}`);
    expect(ahead.chunk[0]!.type).not.toBe("m.room.create");
    expect(ahead.end).toBeUndefined();

    // Backwards from the end, stopping at a token taken after the 10th message.
    const mid = await messages(alice, `dir=f&limit=${first.chunk.length + ahead.chunk.length}`);
    const idx = mid.chunk.findIndex((e) => e.event_id === sent[9]);
    const upTo = await messages(alice, `dir=f&limit=${idx + 1}`);
    const stopped = await messages(alice, `dir=b&limit=100&to=${encodeURIComponent(upTo.end!)}`);
    expect(stopped.chunk.map((e) => e.event_id)).toEqual([...mid.chunk.slice(idx + 1)].reverse().map((e) => e.event_id));
    expect(stopped.end).toBeUndefined();
  });

  it("filters by type, sender and url, and lazy-loads the senders' member events", async () => {
    const filter = (f: object) => `filter=${encodeURIComponent(JSON.stringify(f))}`;
    const bobs = await messages(alice, `dir=b&limit=50&${filter({ senders: [bob.user_id], types: ["m.room.*"], not_types: ["m.room.member"] })}`);
    expect(bobs.chunk.length).toBe(7);
    expect(bobs.chunk.every((e) => e.sender === bob.user_id && e.type === "m.room.message")).toBe(true);
    const urls = await messages(alice, `dir=b&limit=50&${filter({ contains_url: true })}`);
    expect(urls.chunk.map((e) => e.content.body)).toEqual(["pic"]);

    const lazy = await messages(alice, `dir=b&limit=4&${filter({ lazy_load_members: true })}`);
    expect((lazy.state ?? []).map((e) => e.state_key).sort()).toEqual([alice.user_id, bob.user_id].sort());
    expect(lazy.state!.every((e) => e.type === "m.room.member")).toBe(true);
    const plain = await messages(alice, "dir=b&limit=4");
    expect(plain.state).toBeUndefined();

    expect(await api.fails(api.room(roomId, "/messages?dir=b&filter=%7Bnope"), { token: alice.access_token })).toMatchObject({ status: 400, errcode: "M_BAD_JSON" });
    expect(await api.fails(api.room(roomId, `/messages?dir=b&${filter({ limit: 0 })}`), { token: alice.access_token })).toMatchObject({ status: 400 });
  });

  it("validates dir and tokens; non-members of a shared room are refused", async () => {
    expect(await api.fails(api.room(roomId, "/messages"), { token: alice.access_token })).toMatchObject({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await api.fails(api.room(roomId, "/messages?dir=b&from=garbage"), { token: alice.access_token })).toMatchObject({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await api.fails(api.room(roomId, "/messages?dir=b"), { token: carol.access_token })).toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });
    // A /sync-style token (`s<stream position>`, with or without other streams) is understood.
    const page = await messages(alice, "dir=b&limit=1");
    const pos = page.start.split("_")[1];
    const viaSync = await messages(alice, `dir=b&limit=1&from=s${pos}_m0_r0`);
    expect(viaSync.chunk[0]!.event_id).toBe(page.chunk[0]!.event_id);
    const viaPrevBatch = await messages(alice, `dir=b&limit=1&from=s${Number(pos) - 1}`);
    expect(viaPrevBatch.chunk[0]!.event_id).toBe((await messages(alice, "dir=b&limit=2")).chunk[1]!.event_id);
  });
});

describe("/context", () => {
  it("events around an event, state at the last one, and tokens that continue with /messages", async () => {
    const target = sent[7]!;
    const ctx = await api.ok<{
      start: string;
      end: string;
      event: ClientEvent;
      events_before: ClientEvent[];
      events_after: ClientEvent[];
      state: ClientEvent[];
    }>(api.room(roomId, `/context/${encodeURIComponent(target)}?limit=4`), { token: alice.access_token });
    expect(ctx.event.event_id).toBe(target);
    expect(ctx.events_before.map((e) => e.event_id)).toEqual([sent[6], sent[5]]);
    expect(ctx.events_after.map((e) => e.event_id)).toEqual([sent[8], sent[9]]);
    expect(ctx.state.some((e) => e.type === "m.room.create")).toBe(true);
    expect(ctx.state.filter((e) => e.type === "m.room.member").length).toBe(2);

    const back = await messages(alice, `dir=b&limit=2&from=${encodeURIComponent(ctx.start)}`);
    expect(back.chunk.map((e) => e.event_id)).toEqual([sent[4], sent[3]]);
    const fwd = await messages(alice, `dir=f&limit=2&from=${encodeURIComponent(ctx.end)}`);
    expect(fwd.chunk.map((e) => e.event_id)).toEqual([sent[10], sent[11]]);

    const lazy = await api.ok<{ state: ClientEvent[] }>(
      api.room(roomId, `/context/${encodeURIComponent(target)}?limit=0&filter=${encodeURIComponent(JSON.stringify({ lazy_load_members: true }))}`),
      { token: alice.access_token },
    );
    // sent[7] is Bob's: only his member event, plus the non-member state.
    expect(lazy.state.filter((e) => e.type === "m.room.member").map((e) => e.state_key)).toEqual([bob.user_id]);
    expect(await api.fails(api.room(roomId, `/context/${encodeURIComponent("$nope")}`), { token: alice.access_token })).toMatchObject({ status: 404 });
  });
});

describe("history visibility", () => {
  it("joined-only history is hidden from later joiners; nothing after a leave", async () => {
    const room = await api.createRoom(alice, { preset: "public_chat", room_version: "11", initial_state: [{ type: "m.room.history_visibility", content: { history_visibility: "joined" } }] });
    const before = await api.text(alice, room, "before carol");
    await api.ok(api.room(room, "/join"), { token: carol.access_token, body: {} });
    const during = await api.text(alice, room, "while carol is here");
    await api.ok(api.room(room, "/leave"), { token: carol.access_token, body: {} });
    const after = await api.text(alice, room, "after carol");

    const page = await api.ok<MessagesPage>(api.room(room, "/messages?dir=b&limit=50"), { token: carol.access_token });
    const ids = page.chunk.map((e) => e.event_id);
    expect(ids).toContain(during);
    expect(ids).not.toContain(before);
    expect(ids).not.toContain(after);
    expect(await api.fails(api.room(room, `/event/${encodeURIComponent(before)}`), { token: carol.access_token })).toMatchObject({ status: 404 });
    expect(await api.fails(api.room(room, `/event/${encodeURIComponent(after)}`), { token: carol.access_token })).toMatchObject({ status: 404 });
    const seen = await api.ok<ClientEvent>(api.room(room, `/event/${encodeURIComponent(during)}`), { token: carol.access_token });
    expect(seen.unsigned?.membership).toBe("join");
    // The event formatted for Alice tells Alice's membership.
    const forAlice = await api.ok<ClientEvent>(api.room(room, `/event/${encodeURIComponent(before)}`), { token: alice.access_token });
    expect(forAlice.unsigned?.membership).toBe("join");
  });
});
