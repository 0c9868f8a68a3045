import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getRoomVersion } from "../../../src/events/room-versions.js";
import type { LocalEventSpec } from "../../../src/rooms/local/build-event.js";
import { ServerVisibility, serverMaySeeEvent } from "../../../src/rooms/visibility/server-visibility.js";
import { filterEventsForUser, userMaySeeEvent } from "../../../src/rooms/visibility/user-visibility.js";
import type { EventRecord } from "../../../src/storage/events.js";
import { harness, LOCAL, RemoteServer, type Harness } from "../../helpers/rooms.js";

const ALICE = `@alice:${LOCAL}`;
const CAROL = `@carol:${LOCAL}`;
const DAVE = `@dave:${LOCAL}`;
const REMOTE = "remote.test";
const BOB = `@bob:${REMOTE}`;

async function newRoom(h: Harness, historyVisibility: string, version = "11"): Promise<string> {
  const v = getRoomVersion(version)!;
  const users: Record<string, number> = v.creatorsHaveInfinitePower ? {} : { [ALICE]: 100 };
  const { roomId } = await h.rooms.createRoom({
    version: v,
    creator: ALICE,
    createContent: {},
    initialEvents: (): LocalEventSpec[] => [
      { type: "m.room.member", stateKey: ALICE, sender: ALICE, content: { membership: "join" } },
      { type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users, state_default: 50, invite: 0 } },
      { type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" } },
      { type: "m.room.history_visibility", stateKey: "", sender: ALICE, content: { history_visibility: historyVisibility } },
    ],
  });
  return roomId;
}

function rec(h: Harness, eventId: string): EventRecord {
  return h.storage.events.getEvent(eventId)!;
}

async function say(h: Harness, roomId: string, sender: string, body: string): Promise<string> {
  return (await h.rooms.send(roomId, { type: "m.room.message", sender, content: { msgtype: "m.text", body } })).eventId;
}

async function member(h: Harness, roomId: string, sender: string, target: string, membership: string): Promise<string> {
  return (await h.rooms.send(roomId, { type: "m.room.member", stateKey: target, sender, content: { membership } })).eventId;
}

async function remoteJoin(h: Harness, remote: RemoteServer, roomId: string): Promise<string> {
  const join = remote.event(roomId, { type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join" } });
  const [o] = await h.rooms.actor(roomId).receive([{ event: join }]);
  expect(o!.status).toBe("accepted");
  return join.eventId;
}

describe("server visibility (history visibility applied to a server's users)", () => {
  let h: Harness;
  let remote: RemoteServer;
  beforeEach(() => {
    h = harness();
    remote = new RemoteServer(REMOTE, h);
  });
  afterEach(async () => {
    await h.close();
  });

  it("joined: events before the server's first join are hidden, its join and later events are visible", async () => {
    const roomId = await newRoom(h, "joined");
    const before = await say(h, roomId, ALICE, "secret");
    const join = await remoteJoin(h, remote, roomId);
    const after = await say(h, roomId, ALICE, "hello bob");
    const vis = new ServerVisibility(h.rooms, rec(h, before).roomNid, REMOTE);
    expect(vis.inRoomNow).toBe(true);
    expect(vis.maySee(rec(h, before))).toBe(false);
    // The join's state before has no member of the server, the state after does.
    expect(vis.maySee(rec(h, join))).toBe(true);
    expect(vis.maySee(rec(h, after))).toBe(true);
  });

  it("shared: a server in the room now sees history from before it joined; one not in the room does not", async () => {
    const roomId = await newRoom(h, "shared");
    const before = await say(h, roomId, ALICE, "old news");
    expect(serverMaySeeEvent(h.rooms, REMOTE, rec(h, before))).toBe(false);
    await remoteJoin(h, remote, roomId);
    expect(serverMaySeeEvent(h.rooms, REMOTE, rec(h, before))).toBe(true);
    expect(serverMaySeeEvent(h.rooms, "stranger.test", rec(h, before))).toBe(false);
  });

  it("invited: visible from the invite of one of the server's users onwards", async () => {
    const roomId = await newRoom(h, "invited");
    const before = await say(h, roomId, ALICE, "before invite");
    await member(h, roomId, ALICE, BOB, "invite");
    const after = await say(h, roomId, ALICE, "after invite");
    expect(serverMaySeeEvent(h.rooms, REMOTE, rec(h, before))).toBe(false);
    expect(serverMaySeeEvent(h.rooms, REMOTE, rec(h, after))).toBe(true);
  });

  it("world_readable: visible to any server; the change away from it is visible too (state before)", async () => {
    const roomId = await newRoom(h, "world_readable");
    const open = await say(h, roomId, ALICE, "public");
    const change = (await h.rooms.send(roomId, { type: "m.room.history_visibility", stateKey: "", sender: ALICE, content: { history_visibility: "joined" } }))
      .eventId;
    const closed = await say(h, roomId, ALICE, "private");
    expect(serverMaySeeEvent(h.rooms, "stranger.test", rec(h, open))).toBe(true);
    expect(serverMaySeeEvent(h.rooms, "stranger.test", rec(h, change))).toBe(true);
    expect(serverMaySeeEvent(h.rooms, "stranger.test", rec(h, closed))).toBe(false);
  });

  it("unknown history_visibility values count as shared", async () => {
    const roomId = await newRoom(h, "bogus");
    const before = await say(h, roomId, ALICE, "x");
    await remoteJoin(h, remote, roomId);
    expect(serverMaySeeEvent(h.rooms, REMOTE, rec(h, before))).toBe(true);
  });
});

describe("user visibility (modules/history_visibility.md Server behaviour)", () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(async () => {
    await h.close();
  });

  it("joined: a later member sees neither earlier events nor events after leaving, but sees its own join and leave", async () => {
    const roomId = await newRoom(h, "joined");
    const before = await say(h, roomId, ALICE, "before");
    const join = await member(h, roomId, CAROL, CAROL, "join");
    const during = await say(h, roomId, ALICE, "during");
    const leave = await member(h, roomId, CAROL, CAROL, "leave");
    const after = await say(h, roomId, ALICE, "after");
    const seen = (id: string) => userMaySeeEvent(h.rooms, CAROL, rec(h, id));
    expect([before, join, during, leave, after].map(seen)).toEqual([false, true, true, true, false]);
  });

  it("shared: history before a join is visible; events after the user left are not unless they rejoined", async () => {
    const roomId = await newRoom(h, "shared");
    const before = await say(h, roomId, ALICE, "before");
    await member(h, roomId, DAVE, DAVE, "join");
    await member(h, roomId, DAVE, DAVE, "leave");
    const gap = await say(h, roomId, ALICE, "while away");
    expect(userMaySeeEvent(h.rooms, DAVE, rec(h, before))).toBe(true);
    expect(userMaySeeEvent(h.rooms, DAVE, rec(h, gap))).toBe(false);
    await member(h, roomId, DAVE, DAVE, "join");
    await member(h, roomId, DAVE, DAVE, "leave");
    // A join after `gap` exists in Dave's membership history: rule 3 allows it now.
    expect(userMaySeeEvent(h.rooms, DAVE, rec(h, gap))).toBe(true);
    // Never a member: nothing but world_readable.
    expect(userMaySeeEvent(h.rooms, "@eve:local.test", rec(h, before))).toBe(false);
  });

  it("invited: an invited user sees events from the invite on", async () => {
    const roomId = await newRoom(h, "invited");
    const before = await say(h, roomId, ALICE, "before");
    await member(h, roomId, ALICE, CAROL, "invite");
    const after = await say(h, roomId, ALICE, "after");
    expect(userMaySeeEvent(h.rooms, CAROL, rec(h, before))).toBe(false);
    expect(userMaySeeEvent(h.rooms, CAROL, rec(h, after))).toBe(true);
  });

  it("world_readable: everyone; rejected and soft-failed events: no one", async () => {
    const roomId = await newRoom(h, "world_readable");
    const msg = await say(h, roomId, ALICE, "hello world");
    expect(userMaySeeEvent(h.rooms, "@anyone:elsewhere.test", rec(h, msg))).toBe(true);
    const remote = new RemoteServer(REMOTE, h);
    const bad = remote.event(roomId, { type: "m.room.topic", stateKey: "", sender: BOB, content: { topic: "not a member" } });
    const [o] = await h.rooms.actor(roomId).receive([{ event: bad }]);
    expect(o!.status).toBe("rejected");
    expect(userMaySeeEvent(h.rooms, ALICE, rec(h, bad.eventId))).toBe(false);
  });

  it("filterEventsForUser keeps the order of the visible events", async () => {
    const roomId = await newRoom(h, "joined");
    const a = await say(h, roomId, ALICE, "a");
    await member(h, roomId, CAROL, CAROL, "join");
    const b = await say(h, roomId, ALICE, "b");
    const c = await say(h, roomId, CAROL, "c");
    const out = filterEventsForUser(h.rooms, CAROL, [c, a, b].map((id) => rec(h, id)));
    expect(out.map((r) => r.eventId)).toEqual([c, b]);
  });
});
