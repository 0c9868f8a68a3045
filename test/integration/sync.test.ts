/**
 * /sync over HTTP against one Conflux: initial and incremental syncs, long-poll wake-ups,
 * limited timelines whose prev_batch continues in /messages, state deltas across a gap, joins
 * and leaves inside a sync window, invites (stripped state with m.room.create) and knocks,
 * full_state and use_state_after.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodies, eventIds, SyncFixture, type User } from "./sync-fixture.js";

let fx: SyncFixture;
let alice: User;
let bob: User;

beforeAll(async () => {
  fx = await SyncFixture.start();
  alice = await fx.user("alice");
  bob = await fx.user("bob");
});
afterAll(async () => {
  await fx?.stop();
});

describe("initial and incremental sync", () => {
  let roomId: string;

  beforeAll(async () => {
    roomId = await fx.createRoom(alice, { name: "Sync room" });
    for (let i = 0; i < 3; i++) await fx.send(roomId, alice, `hello ${i}`);
  });

  it("an initial sync has the room's recent timeline and the state before it", async () => {
    const res = await fx.sync(alice);
    expect(res.next_batch).toMatch(/^s\d+_/);
    const room = res.rooms.join[roomId]!;
    expect(room).toBeDefined();
    // 6 state events + 3 messages fit in the default limit of 10: nothing before the timeline.
    expect(room.timeline.events.map((e) => e.type)).toEqual([
      "m.room.create",
      "m.room.member",
      "m.room.power_levels",
      "m.room.join_rules",
      "m.room.history_visibility",
      "m.room.name",
      "m.room.message",
      "m.room.message",
      "m.room.message",
    ]);
    expect(room.timeline.limited).toBe(false);
    expect(room.state!.events).toEqual([]);
    expect(room.summary).toMatchObject({ "m.joined_member_count": 1, "m.invited_member_count": 0 });
    const msg = room.timeline.events[8]!;
    expect(msg).not.toHaveProperty("room_id");
    expect(msg).not.toHaveProperty("signatures");
    expect(msg.unsigned).toMatchObject({ membership: "join" });
    expect(res.device_one_time_keys_count).toMatchObject({ signed_curve25519: 0 });
  });

  it("with a smaller limit the timeline is limited and the state holds what came before", async () => {
    const res = await fx.sync(alice, { filter: { room: { timeline: { limit: 2 } } } });
    const room = res.rooms.join[roomId]!;
    expect(bodies(room.timeline.events)).toEqual(["hello 1", "hello 2"]);
    expect(room.timeline.limited).toBe(true);
    expect(room.timeline.prev_batch).toBeDefined();
    expect(room.state!.events.map((e) => e.type).sort()).toEqual(
      ["m.room.create", "m.room.history_visibility", "m.room.join_rules", "m.room.member", "m.room.name", "m.room.power_levels"].sort(),
    );
  });

  it("an incremental sync has only what is new", async () => {
    const first = await fx.sync(alice);
    const quiet = await fx.sync(alice, { since: first.next_batch });
    expect(quiet.rooms.join).toEqual({});
    expect(quiet.next_batch).toBe(first.next_batch);
    const id = await fx.send(roomId, alice, "new one");
    const res = await fx.sync(alice, { since: first.next_batch });
    const room = res.rooms.join[roomId]!;
    expect(eventIds(room.timeline.events)).toEqual([id]);
    expect(room.timeline.limited).toBe(false);
    expect(room.state!.events).toEqual([]);
    expect(res.next_batch).not.toBe(first.next_batch);
  });

  it("a long-polling sync wakes when a message is sent", async () => {
    const { next_batch } = await fx.sync(alice);
    const pending = fx.sync(alice, { since: next_batch, timeout: 50_000 });
    await fx.syncsWaiting(1);
    const id = await fx.send(roomId, alice, "wake up");
    const res = await pending;
    expect(eventIds(res.rooms.join[roomId]!.timeline.events)).toEqual([id]);
  });

  it("a long-poll with nothing new returns empty at its timeout", async () => {
    const { next_batch } = await fx.sync(alice);
    const res = await fx.sync(alice, { since: next_batch, timeout: 50 });
    expect(res.rooms.join).toEqual({});
    expect(res.next_batch).toBe(next_batch);
  });

  it("a redaction reaches incremental syncs and later syncs see the redacted event", async () => {
    const { next_batch } = await fx.sync(alice);
    const target = await fx.send(roomId, alice, "regrettable");
    const first = await fx.sync(alice, { since: next_batch });
    expect(bodies(first.rooms.join[roomId]!.timeline.events)).toEqual(["regrettable"]);
    const redaction = (await fx.app.rooms.send(roomId, { type: "m.room.redaction", sender: alice.userId, content: { redacts: target } })).eventId;
    const second = await fx.sync(alice, { since: first.next_batch });
    const [ev] = second.rooms.join[roomId]!.timeline.events;
    expect(ev).toMatchObject({ event_id: redaction, type: "m.room.redaction", redacts: target });
    const again = await fx.sync(alice, { since: next_batch });
    const redacted = again.rooms.join[roomId]!.timeline.events.find((e) => e.event_id === target)!;
    expect(redacted.content).toEqual({});
    expect(redacted.unsigned).toMatchObject({ redacted_because: { event_id: redaction } });
  });

  it("rejects a malformed since token", async () => {
    const res = await fx.call(alice, "/sync?since=garbage");
    expect(res.status).toBe(400);
    expect(res.json<{ errcode: string }>().errcode).toBe("M_INVALID_PARAM");
  });
});

describe("room summary heroes", () => {
  it("an unnamed room lists the first joined or invited members other than the viewer; a named one none", async () => {
    const others = await Promise.all(["h1", "h2", "h3", "h4", "h5", "h6"].map((n) => fx.user(`hero-${n}`)));
    const roomId = await fx.createRoom(alice);
    for (const u of others) await fx.membership(roomId, alice, u.userId, "invite");
    await fx.membership(roomId, others[0]!, others[0]!.userId, "join");
    const summary = (await fx.sync(alice)).rooms.join[roomId]!.summary!;
    // Member-event order: the first five invitees (h1's join replaced its invite, so it is last).
    expect(summary["m.heroes"]).toEqual(others.slice(1, 6).map((u) => u.userId));
    expect(summary).toMatchObject({ "m.joined_member_count": 2, "m.invited_member_count": 5 });
    expect((await fx.sync(others[0]!)).rooms.join[roomId]!.summary!["m.heroes"]).toEqual([alice, ...others.slice(1, 5)].map((u) => u.userId));

    const named = await fx.createRoom(alice, { name: "Named" });
    expect((await fx.sync(alice)).rooms.join[named]!.summary).not.toHaveProperty("m.heroes");
  });
});

describe("limited timelines", () => {
  it("prev_batch continues with /messages and the gap's state changes are in state", async () => {
    const roomId = await fx.createRoom(alice, { name: "Before" });
    const { next_batch } = await fx.sync(alice);
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) sent.push(await fx.send(roomId, alice, `gap ${i}`));
    const rename = await fx.state(roomId, alice, "m.room.name", "", { name: "After" });
    for (let i = 4; i < 10; i++) sent.push(await fx.send(roomId, alice, `gap ${i}`));

    const res = await fx.sync(alice, { since: next_batch, filter: { room: { timeline: { limit: 3 } } } });
    const room = res.rooms.join[roomId]!;
    expect(room.timeline.limited).toBe(true);
    expect(bodies(room.timeline.events)).toEqual(["gap 7", "gap 8", "gap 9"]);
    // The rename happened in the gap: the state section carries it, and only what changed.
    expect(eventIds(room.state!.events)).toEqual([rename]);

    const page = await fx.ok<{ chunk: { event_id: string }[] }>(alice, `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=3&from=${room.timeline.prev_batch!}`);
    expect(eventIds(page.chunk)).toEqual([sent[6], sent[5], sent[4]]);
  });

  it("use_state_after returns state_after (the state at the end of the timeline) instead of state", async () => {
    const roomId = await fx.createRoom(alice, { name: "One" });
    const { next_batch } = await fx.sync(alice);
    await fx.send(roomId, alice, "a");
    const rename = await fx.state(roomId, alice, "m.room.name", "", { name: "Two" });
    const res = await fx.sync(alice, { since: next_batch, use_state_after: true });
    const room = res.rooms.join[roomId]!;
    expect(room.state).toBeUndefined();
    expect(eventIds(room.state_after!.events)).toEqual([rename]);
  });
});

describe("membership changes", () => {
  let roomId: string;
  let carol: User;

  beforeAll(async () => {
    roomId = await fx.createRoom(alice, { name: "Members" });
    carol = await fx.user("carol");
  });

  it("a room joined during the window arrives with full state", async () => {
    const { next_batch } = await fx.sync(bob);
    const join = await fx.membership(roomId, bob, bob.userId, "join");
    const res = await fx.sync(bob, { since: next_batch });
    const room = res.rooms.join[roomId]!;
    expect(room).toBeDefined();
    const everything = [...room.state!.events, ...room.timeline.events];
    expect(everything.map((e) => e.type)).toContain("m.room.create");
    expect(eventIds(room.timeline.events)).toContain(join);
    expect(room.summary).toMatchObject({ "m.joined_member_count": 2 });
  });

  it("the other members see the join in their timeline", async () => {
    const { next_batch } = await fx.sync(alice);
    await fx.send(roomId, bob, "hi from bob");
    const res = await fx.sync(alice, { since: next_batch });
    expect(bodies(res.rooms.join[roomId]!.timeline.events)).toEqual(["hi from bob"]);
    expect(res.rooms.join[roomId]!.timeline.limited).toBe(false);
  });

  it("an invite shows stripped state with m.room.create and the invite event", async () => {
    const { next_batch } = await fx.sync(carol);
    const pending = fx.sync(carol, { since: next_batch, timeout: 50_000 });
    await fx.syncsWaiting(1);
    await fx.membership(roomId, alice, carol.userId, "invite");
    const res = await pending;
    const invite = res.rooms.invite[roomId]!;
    expect(invite).toBeDefined();
    const types = invite.invite_state.events.map((e) => e.type);
    expect(types[0]).toBe("m.room.create");
    expect(types).toContain("m.room.name");
    const own = invite.invite_state.events.at(-1)!;
    expect(own).toEqual({ type: "m.room.member", state_key: carol.userId, sender: alice.userId, content: { membership: "invite" } });
    for (const e of invite.invite_state.events) expect(Object.keys(e).sort()).toEqual(["content", "sender", "state_key", "type"]);
    // The initial sync lists it too.
    expect((await fx.sync(carol)).rooms.invite[roomId]).toBeDefined();
  });

  it("accepting the invite moves the room to join", async () => {
    const { next_batch } = await fx.sync(carol);
    await fx.membership(roomId, carol, carol.userId, "join");
    const res = await fx.sync(carol, { since: next_batch, timeout: 50_000 });
    expect(res.rooms.join[roomId]).toBeDefined();
    // Newly joined: a gap before the timeline, so the client (which knew the room as an
    // invite) resets it and back-paginates from prev_batch.
    expect(res.rooms.join[roomId]!.timeline.limited).toBe(true);
    expect(res.rooms.join[roomId]!.timeline.prev_batch).toEqual(expect.any(String));
    // The invite store catches up after the join commits; the next sync no longer lists the invite.
    for (let i = 0; i < 100 && fx.app.storage.store.dbs.membershipInvites.get([carol.userId, roomId]) !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await fx.sync(carol)).rooms.invite[roomId]).toBeUndefined();
  });

  it("a leave arrives in rooms.leave with the leave event", async () => {
    const { next_batch } = await fx.sync(bob);
    const leave = await fx.membership(roomId, bob, bob.userId, "leave");
    const res = await fx.sync(bob, { since: next_batch });
    expect(res.rooms.join[roomId]).toBeUndefined();
    const left = res.rooms.leave[roomId]!;
    expect(eventIds(left.timeline.events).at(-1)).toBe(leave);
    // Events after the leave are not the leaver's.
    const after = await fx.sync(bob, { since: res.next_batch });
    await fx.send(roomId, alice, "after bob left");
    expect((await fx.sync(bob, { since: after.next_batch })).rooms.leave[roomId]).toBeUndefined();
    // include_leave puts it in an initial sync.
    expect((await fx.sync(bob)).rooms.leave[roomId]).toBeUndefined();
    expect((await fx.sync(bob, { filter: { room: { include_leave: true } } })).rooms.leave[roomId]).toBeDefined();
  });

  it("a rejected invite leaves with only the viewer's own member event, no room state", async () => {
    const frank = await fx.user("frank");
    await fx.membership(roomId, alice, frank.userId, "invite");
    const { next_batch } = await fx.sync(frank);
    const reject = await fx.membership(roomId, frank, frank.userId, "leave");
    const res = await fx.sync(frank, { since: next_batch });
    const left = res.rooms.leave[roomId]!;
    expect(eventIds(left.timeline.events)).toEqual([reject]);
    expect(left.state!.events).toEqual([]);
    const initial = await fx.sync(frank, { filter: { room: { include_leave: true } } });
    expect(eventIds(initial.rooms.leave[roomId]!.timeline.events)).toEqual([reject]);
    expect(initial.rooms.leave[roomId]!.state!.events).toEqual([]);
  });

  it("a knock shows knock_state", async () => {
    const knockRoom = await fx.createRoom(alice, { name: "Knock here", joinRule: "knock", version: "10" });
    const dave = await fx.user("dave");
    const { next_batch } = await fx.sync(dave);
    await fx.membership(knockRoom, dave, dave.userId, "knock");
    const res = await fx.sync(dave, { since: next_batch, timeout: 50_000 });
    const knock = res.rooms.knock[knockRoom]!;
    expect(knock).toBeDefined();
    expect(knock.knock_state.events[0]!.type).toBe("m.room.create");
    expect(knock.knock_state.events.at(-1)).toMatchObject({ type: "m.room.member", state_key: dave.userId, content: { membership: "knock" } });
  });

  it("full_state returns every joined room's state on an incremental sync", async () => {
    const { next_batch } = await fx.sync(alice);
    const res = await fx.sync(alice, { since: next_batch, full_state: true, timeout: 30_000 });
    const room = res.rooms.join[roomId]!;
    expect(room.timeline.events).toEqual([]);
    expect(room.state!.events.map((e) => e.type)).toContain("m.room.create");
  });
});
