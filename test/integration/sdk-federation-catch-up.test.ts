/**
 * Issue 5 "Tests", catch-up with matrix-js-sdk clients: A is stopped while B's user keeps
 * sending into rooms of every version (7, 10, 11, 12); A starts again on the same data dir,
 * port and client URL; B's queue catches A up (the outage path: each room's latest events,
 * A pulls the rest with get_missing_events) and A's user's own sync loop, which lost its
 * server in the middle of a long-poll, resumes from its `since` token and sees every message,
 * in order, in its timeline and in /messages.
 *
 * Not visible to a client, asked of B directly: that B really treated A as being in an outage
 * before the later messages (so they went out as catch-up), and that B's queue drains.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Preset, SyncState } from "matrix-js-sdk";
import { outboundOf } from "../../src/outbound/queue/index.js";
import {
  historyBodies, ROOM_VERSIONS, SdkFederation, syncedBodies, waitFor, waitForBody, waitForMembershipSeenBy,
  waitForMyMembership, type SdkUser,
} from "./sdk-federation-fixture.js";

let fx: SdkFederation;
let alice: SdkUser;
let bob: SdkUser;

beforeAll(async () => {
  fx = await SdkFederation.start("conflux-sdkcatch-", ["127.0.0.1", "127.0.0.1"]);
  alice = await fx.user(fx.a, "alice");
  bob = await fx.user(fx.b, "bob");
  // A short outage counts as one here, so the catch-up path is what brings A up to date.
  outboundOf(fx.b.app).sender.setOptions({ outageAfterFailures: 2 });
});
afterAll(async () => {
  await fx?.stop();
});

describe("A stopped while B's user sends, then restarted", () => {
  const rooms = new Map<string, string>();
  const sentWhileDown = new Map<string, string[]>();
  let invitedTo: string;

  it("B's user is in a room of A's of every version", async () => {
    for (const version of ROOM_VERSIONS) {
      const { room_id: roomId } = await alice.client.createRoom({ room_version: version, preset: Preset.PublicChat, name: `Catch-up v${version}` });
      await bob.client.joinRoom(roomId, { viaServers: [fx.a.serverName] });
      await waitForMyMembership(bob, roomId, "join");
      await waitForMembershipSeenBy(alice, roomId, bob.userId, "join");
      await alice.client.sendTextMessage(roomId, "before the outage");
      await waitForBody(bob, roomId, "before the outage");
      rooms.set(version, roomId);
    }
    ({ room_id: invitedTo } = await alice.client.createRoom({ preset: Preset.PrivateChat, invite: [bob.userId] }));
    await waitForMyMembership(bob, invitedTo, "invite");
  });

  it("A's client sees every message B's user sent while A was down", async () => {
    await fx.a.stop();
    await waitFor("A's client to notice its server is gone", () => [SyncState.Reconnecting, SyncState.Error].includes(alice.client.getSyncState()!));

    const send = async (roomId: string, body: string): Promise<void> => {
      await bob.client.sendTextMessage(roomId, body);
      sentWhileDown.get(roomId)!.push(body);
    };
    for (const roomId of rooms.values()) {
      sentWhileDown.set(roomId, []);
      await send(roomId, "while A was down 0");
    }
    const b = outboundOf(fx.b.app);
    await waitFor("B to consider A in an outage", () => b.store.retry(fx.a.serverName)?.outage === true);
    for (let i = 1; i <= 3; i++) for (const roomId of rooms.values()) await send(roomId, `while A was down ${i}`);

    // Rejecting an invite while the inviter's server is down: B drops it locally, and B's
    // user's client learns of that through a leave event like any other rejection.
    await bob.client.leave(invitedTo);
    await waitForMyMembership(bob, invitedTo, "leave");

    await fx.a.start();
    // What a client does when it learns the network is back; otherwise its keepalive polls.
    alice.client.retryImmediately();
    for (const [roomId, bodies] of sentWhileDown) {
      await waitFor(`A's client to see every message in ${roomId}`, () => bodies.every((body) => syncedBodies(alice, roomId).includes(body)));
      expect(syncedBodies(alice, roomId).filter((body) => body.startsWith("while A was down"))).toEqual(bodies);
      expect(await historyBodies(alice, roomId)).toEqual(["before the outage", ...bodies]);
    }
    await waitFor("B's queue for A to drain", () => b.sender.isIdle(fx.a.serverName));
  });

  it("after catching up, messages flow both ways again", async () => {
    for (const roomId of rooms.values()) {
      await alice.client.sendTextMessage(roomId, "A is back");
      await waitForBody(bob, roomId, "A is back");
      await bob.client.sendTextMessage(roomId, "welcome back");
      await waitForBody(alice, roomId, "welcome back");
      expect(await historyBodies(bob, roomId)).toEqual(["before the outage", ...sentWhileDown.get(roomId)!, "A is back", "welcome back"]);
    }
  });
});
