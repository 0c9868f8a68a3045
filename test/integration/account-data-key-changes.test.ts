/**
 * GET /keys/changes between two /sync tokens (client-server "Tracking the device list for a
 * user"): local and remote users whose device lists changed and who share a room with the
 * caller, and users who left every room they shared with the caller — but nobody from rooms
 * the caller has nothing to do with.
 *
 * The remote user is a member built and signed here as another homeserver would (its server
 * name is a closed loopback port, so the outbound traffic our server attempts goes nowhere).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteEventBuilder } from "../../bench/lib/remote-events.js";
import { eduServices } from "../../src/edu/index.js";
import { freePort } from "../helpers/server.js";
import { SyncFixture, type User } from "./sync-fixture.js";

let fx: SyncFixture;
let alice: User;
let bob: User;
let roomId: string;
let rita: string;
let zed: string;

async function token(user: User): Promise<string> {
  return (await fx.sync(user)).next_batch;
}

function changes(user: User, from: string, to: string): Promise<{ changed: string[]; left: string[] }> {
  return fx.ok(user, `/keys/changes?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
}

beforeAll(async () => {
  fx = await SyncFixture.start();
  alice = await fx.user("alice");
  bob = await fx.user("bob");
  roomId = await fx.createRoom(alice, { encrypted: true });
  await fx.membership(roomId, bob, bob.userId, "join");

  const remoteName = `127.0.0.1:${await freePort()}`;
  rita = `@rita:${remoteName}`;
  zed = `@zed:${remoteName}`;
  const remote = new RemoteEventBuilder(remoteName, fx.app.rooms);
  const join = remote.event(roomId, { type: "m.room.member", stateKey: rita, sender: rita, content: { membership: "join" } });
  const [outcome] = await fx.app.rooms.actor(roomId).receive([{ event: join }], remoteName);
  expect(outcome).toMatchObject({ status: "accepted" });
});
afterAll(async () => {
  await fx?.stop();
});

describe("/keys/changes", () => {
  it("reports local and remote users sharing a room whose devices changed between two sync tokens", async () => {
    const from = await token(alice);
    await fx.login(bob.userId);
    await eduServices(fx.app).deviceLists.applyUpdates([
      { userId: rita, deviceId: "RITA1", streamId: 1, prevIds: [], deleted: false },
      { userId: zed, deviceId: "ZED1", streamId: 1, prevIds: [], deleted: false },
    ]);
    const to = await token(alice);
    expect(await changes(alice, from, to)).toEqual({ changed: [bob.userId, rita].sort(), left: [] });
    // Tokens in either order name the same window; an empty window reports nothing.
    expect((await changes(alice, to, from)).changed).toEqual([bob.userId, rita].sort());
    expect(await changes(alice, to, to)).toEqual({ changed: [], left: [] });
  });

  it("reports users who left the caller's rooms, and the company of rooms the caller left", async () => {
    const dave = await fx.user("dave");
    const carol = await fx.user("carol");
    const eve = await fx.user("eve");
    await fx.membership(roomId, dave, dave.userId, "join");
    const side = await fx.createRoom(carol, {});
    await fx.membership(side, alice, alice.userId, "join");
    const elsewhere = await fx.createRoom(eve, {});
    const from = await token(alice);

    await fx.membership(roomId, dave, dave.userId, "leave");
    await fx.membership(side, alice, alice.userId, "leave");
    await fx.membership(elsewhere, eve, eve.userId, "leave");
    const to = await token(alice);

    const res = await changes(alice, from, to);
    expect(res.left).toEqual([carol.userId, dave.userId].sort());
    expect(res.left).not.toContain(eve.userId);
    // Bob still shares the room: never "left".
    expect(res.left).not.toContain(bob.userId);
  });

  it("tokens must be present and ours", async () => {
    const t = await token(alice);
    const missing = await fx.call(alice, `/keys/changes?from=${encodeURIComponent(t)}`);
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ errcode: "M_MISSING_PARAM" });
    const bad = await fx.call(alice, `/keys/changes?from=nonsense&to=${encodeURIComponent(t)}`);
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
  });
});
