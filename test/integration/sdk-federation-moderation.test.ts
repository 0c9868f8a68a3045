/**
 * Issue 5 "Tests", moderation across three federating Conflux servers with matrix-js-sdk
 * clients: a ban on A reaching B and C (and the banned user's sends failing), a server ACL
 * denying C (A and B refuse C's PDUs; A↔B carry on), and restricted joins authorised by the
 * resident server A (v8+; here v10, 11, 12). New rooms per case on the same three servers.
 *
 * Where the SDK cannot show what is asserted, the test asks the servers directly, and says so:
 * C's outbound queue draining (the point after which C's PDU would have arrived) and the
 * signatures on a stored PDU (the client format carries none).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Preset } from "matrix-js-sdk";
import { getRoomVersion } from "../../src/events/room-versions.js";
import { outboundOf } from "../../src/outbound/queue/index.js";
import {
  expectMatrixError, joinRuleState, membershipSeenBy, ROOM_VERSIONS, SdkFederation, syncedBodies, syncedEvents, waitFor,
  waitForBody, waitForMembershipSeenBy, waitForMyMembership, type SdkUser,
} from "./sdk-federation-fixture.js";

let fx: SdkFederation;
let alice: SdkUser;
let bob: SdkUser;
let bert: SdkUser;
let carol: SdkUser;

beforeAll(async () => {
  fx = await SdkFederation.start("conflux-sdkmod-");
  alice = await fx.user(fx.a, "alice");
  bob = await fx.user(fx.b, "bob");
  bert = await fx.user(fx.b, "bert");
  carol = await fx.user(fx.c, "carol");
});
afterAll(async () => {
  await fx?.stop();
});

/** A public room of alice's on A, with `joiners` joined through A and seen joined by alice. */
async function publicRoom(version: string, name: string, joiners: readonly SdkUser[]): Promise<string> {
  const { room_id: roomId } = await alice.client.createRoom({ room_version: version, preset: Preset.PublicChat, name });
  for (const u of joiners) {
    await u.client.joinRoom(roomId, { viaServers: [fx.a.serverName] });
    await waitForMyMembership(u, roomId, "join");
    await waitForMembershipSeenBy(alice, roomId, u.userId, "join");
  }
  return roomId;
}

describe.each(ROOM_VERSIONS)("bans propagating, room v%s", (version) => {
  it("A bans B's user: B's and C's users see the ban, the banned users' sends and rejoin fail", async () => {
    const roomId = await publicRoom(version, `Ban v${version}`, [bob, bert, carol]);
    await waitForMembershipSeenBy(carol, roomId, bob.userId, "join");

    await alice.client.ban(roomId, bob.userId, "spam");
    await waitForMyMembership(bob, roomId, "ban");
    await waitForMembershipSeenBy(bert, roomId, bob.userId, "ban");
    await waitForMembershipSeenBy(carol, roomId, bob.userId, "ban");
    const ban = syncedEvents(carol, roomId, "m.room.member", bob.userId).at(-1)!;
    expect(ban.getContent()).toMatchObject({ membership: "ban", reason: "spam" });
    expect(ban.getSender()).toBe(alice.userId);

    // B is still in the room through bert, so B itself refuses bob's event by the auth rules.
    expect(await expectMatrixError(bob.client.sendTextMessage(roomId, "still here?"), 403)).toBe("M_FORBIDDEN");
    expect(await expectMatrixError(bob.client.joinRoom(roomId, { viaServers: [fx.a.serverName] }), 403)).toBe("M_FORBIDDEN");

    await bert.client.sendTextMessage(roomId, "after the ban");
    await waitForBody(carol, roomId, "after the ban");
    await waitForBody(alice, roomId, "after the ban");
    for (const u of [alice, bert, carol]) expect(syncedBodies(u, roomId)).not.toContain("still here?");

    // C's only user banned: C is no longer a resident after the ban, and still hears of it.
    await alice.client.ban(roomId, carol.userId, "also spam");
    await waitForMyMembership(carol, roomId, "ban");
    await waitForMembershipSeenBy(bert, roomId, carol.userId, "ban");
    expect(await expectMatrixError(carol.client.sendTextMessage(roomId, "me neither?"), 403)).toBe("M_FORBIDDEN");
  });
});

describe.each(ROOM_VERSIONS)("server ACL denying C, room v%s", (version) => {
  it("C's events no longer reach A's (or B's) clients, while A and B still talk and C still hears them", async () => {
    const roomId = await publicRoom(version, `ACL v${version}`, [bob, carol]);
    await carol.client.sendTextMessage(roomId, "before the ACL");
    await waitForBody(alice, roomId, "before the ACL");
    await waitForBody(bob, roomId, "before the ACL");

    const cHost = fx.c.host;
    await alice.client.sendStateEvent(roomId, "m.room.server_acl" as never, { allow: ["*"], deny: [cHost], allow_ip_literals: true } as never, "");
    // Denied servers that are still residents keep receiving the room's events (server_acls.md).
    for (const u of [bob, carol]) await waitFor(`${u.userId} to see the ACL`, () => syncedEvents(u, roomId, "m.room.server_acl").length > 0);

    const { event_id: denied } = await carol.client.sendTextMessage(roomId, "after the ACL");
    // Not visible to a client: C's queue draining is when its transactions have been answered.
    const c = outboundOf(fx.c.app).sender;
    await waitFor("C's queues to A and B to drain", () => c.isIdle(fx.a.serverName) && c.isIdle(fx.b.serverName));

    await bob.client.sendTextMessage(roomId, "A and B still talk");
    await waitForBody(alice, roomId, "A and B still talk");
    await alice.client.sendTextMessage(roomId, "yes we do");
    await waitForBody(bob, roomId, "yes we do");
    // C is still a resident: it keeps receiving the room's events ("Server behaviour").
    await waitForBody(carol, roomId, "A and B still talk");
    await waitForBody(carol, roomId, "yes we do");

    for (const u of [alice, bob]) {
      expect(syncedBodies(u, roomId)).not.toContain("after the ACL");
      expect(await expectMatrixError(u.client.fetchRoomEvent(roomId, denied), 404)).toBe("M_NOT_FOUND");
    }
  });
});

const RESTRICTED_VERSIONS = ROOM_VERSIONS.filter((v) => getRoomVersion(v)!.restrictedJoins);

describe.each(RESTRICTED_VERSIONS)("restricted join authorised by A, room v%s", (version) => {
  it("B's user, in the allowed room, joins via A; C's user, not in it, is refused", async () => {
    const allowed = await publicRoom(version, `Allowed v${version}`, [bob]);
    const { room_id: roomId } = await alice.client.createRoom({
      room_version: version,
      preset: Preset.PrivateChat,
      name: `Restricted v${version}`,
      initial_state: [joinRuleState("restricted", [allowed])],
    });

    await bob.client.joinRoom(roomId, { viaServers: [fx.a.serverName] });
    await waitForMyMembership(bob, roomId, "join");
    await waitForMembershipSeenBy(alice, roomId, bob.userId, "join");
    const join = syncedEvents(alice, roomId, "m.room.member", bob.userId).at(-1)!;
    expect(join.getContent()).toMatchObject({ membership: "join", join_authorised_via_users_server: alice.userId });
    // Not visible to a client: A signed the join as the authorising server (spec send_join, restricted rooms).
    const pdu = fx.b.app.storage.events.getEvent(join.getId()!)!.pdu;
    expect(Object.keys(pdu.signatures ?? {}).sort()).toEqual([fx.a.serverName, fx.b.serverName].sort());

    expect(await expectMatrixError(carol.client.joinRoom(roomId, { viaServers: [fx.a.serverName] }), 403)).toBe("M_FORBIDDEN");
    expect(membershipSeenBy(alice, roomId, carol.userId)).toBeUndefined();
  });
});
