/**
 * Two real Conflux servers federating over HTTPS on loopback, each trusting the other's
 * self-signed certificate: a user of B joins a public room of A through the remote join
 * handshake, messages flow both ways through the outbound queues, A goes down while B keeps
 * sending and comes back on the same data directory and port (B catches up, nothing is lost),
 * and B's user leaves.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { getRoomVersion } from "../../src/events/room-versions.js";
import { joinRemoteRoom, leaveRemoteRoom } from "../../src/outbound/membership/index.js";
import { outboundOf } from "../../src/outbound/queue/index.js";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startTwoServers, type TwoServers } from "../helpers/two-servers.js";
import { waitFor } from "../helpers/wait.js";

function status(app: App, eventId: string): string | undefined {
  return app.storage.events.getEvent(eventId)?.status;
}

function membership(app: App, roomId: string, userId: string): string | undefined {
  const room = app.storage.rooms.getRoom(roomId);
  return room ? app.storage.rooms.membership(room.roomNid, userId)?.membership : undefined;
}

describe("two Conflux servers", () => {
  let servers: TwoServers<TestServer>;
  let appA: App;
  let appB: App;
  let roomId: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    // A short outage counts as one here, so the catch-up path is what brings A up to date.
    servers = await startTwoServers({ prefix: "conflux-two-", launch: startTestServer, appOf: (s) => s.server.app, sender: { outageAfterFailures: 2 } });
    appA = servers.a.app;
    appB = servers.b.app;
    alice = `@alice:${appA.serverName}`;
    bob = `@bob:${appB.serverName}`;
    ({ roomId } = await appA.rooms.createRoom({
      version: getRoomVersion("11")!,
      creator: alice,
      createContent: {},
      initialEvents: (): LocalEventSpec[] => [
        { type: "m.room.member", stateKey: alice, sender: alice, content: { membership: "join" } },
        { type: "m.room.power_levels", stateKey: "", sender: alice, content: { users: { [alice]: 100 } } },
        { type: "m.room.join_rules", stateKey: "", sender: alice, content: { join_rule: "public" } },
        { type: "m.room.history_visibility", stateKey: "", sender: alice, content: { history_visibility: "shared" } },
        { type: "m.room.name", stateKey: "", sender: alice, content: { name: "Across servers" } },
      ],
    }));
  });
  afterAll(async () => {
    await servers?.stop();
  });

  it("B's user joins A's room through the join handshake", async () => {
    const { eventId } = await joinRemoteRoom(appB, { roomId, servers: [appA.serverName], userId: bob });
    expect(status(appB, eventId)).toBe("accepted");
    expect(membership(appB, roomId, alice)).toBe("join");
    expect(membership(appB, roomId, bob)).toBe("join");
    await waitFor("A to hold the join", () => status(appA, eventId) === "accepted");
    expect(membership(appA, roomId, bob)).toBe("join");
    const room = appA.storage.rooms.getRoom(roomId)!;
    expect(appA.storage.rooms.joinedServers(room.roomNid).sort()).toEqual([appA.serverName, appB.serverName].sort());
  });

  it("messages flow both ways through the queues", async () => {
    const fromA = await appA.rooms.send(roomId, { type: "m.room.message", sender: alice, content: { msgtype: "m.text", body: "hello B" } });
    await waitFor("B to receive A's message", () => status(appB, fromA.eventId) === "accepted");
    const fromB = await appB.rooms.send(roomId, { type: "m.room.message", sender: bob, content: { msgtype: "m.text", body: "hello A" } });
    expect(fromB.pdu.prev_events).toEqual([fromA.eventId]);
    await waitFor("A to receive B's message", () => status(appA, fromB.eventId) === "accepted");
  });

  it("B catches A up after A was down, nothing lost", async () => {
    await servers.a.stop();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await appB.rooms.send(roomId, { type: "m.room.message", sender: bob, content: { msgtype: "m.text", body: `while A was down ${i}` } })).eventId);
      // Let B notice A is gone between sends, so the later ones go out as catch-up.
      await new Promise((r) => setTimeout(r, 150));
    }
    appA = (await servers.a.start()).server.app;
    outboundOf(appB).sender.retryNow(appA.serverName);
    await waitFor("A to hold every message B sent meanwhile", () => ids.every((id) => status(appA, id) === "accepted"));
    await waitFor("B's queue for A to drain", () => outboundOf(appB).sender.isIdle(appA.serverName));
  });

  it("B's user leaves and A hears of it", async () => {
    const { eventId } = await leaveRemoteRoom(appB, { roomId, servers: [appA.serverName], userId: bob });
    await waitFor("A to receive the leave", () => status(appA, eventId) === "accepted");
    expect(membership(appA, roomId, bob)).toBe("leave");
    const room = appA.storage.rooms.getRoom(roomId)!;
    expect(appA.storage.rooms.joinedServers(room.roomNid)).toEqual([appA.serverName]);
  });
});
