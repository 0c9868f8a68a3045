/**
 * Issue 5 "Tests", end to end with matrix-js-sdk clients on real federating Conflux servers:
 * knocking across servers (join rule `knock` on every version, `knock_restricted` from v10)
 * through to messages both ways in /sync and /messages and the knocker leaving again; and
 * invites across servers (the v2 invite handshake) with the stripped state the invitee's
 * client shows; withdrawing a knock and rejecting an invite. Each case runs on room versions
 * 7, 10, 11 and 12, in a new room on the same servers. Moderation (bans, ACLs, restricted joins) and catch-up are in the sibling files.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Preset } from "matrix-js-sdk";
import { getRoomVersion } from "../../src/events/room-versions.js";
import {
  historyBodies, joinRuleState, membershipSeenBy, ROOM_VERSIONS, SdkFederation, syncedEvents, waitForBody,
  waitForMembershipSeenBy, waitForMyMembership, type SdkUser,
} from "./sdk-federation-fixture.js";

let fx: SdkFederation;
let alice: SdkUser;
let bob: SdkUser;
/** A room of A that bob is not in: the allow list of the knock_restricted rooms. */
let elsewhere: string;

beforeAll(async () => {
  fx = await SdkFederation.start("conflux-sdkfed-", ["127.0.0.1", "127.0.0.1"]);
  alice = await fx.user(fx.a, "alice");
  bob = await fx.user(fx.b, "bob");
  elsewhere = (await alice.client.createRoom({ preset: Preset.PrivateChat, name: "Elsewhere" })).room_id;
});
afterAll(async () => {
  await fx?.stop();
});

const KNOCK_CASES = ROOM_VERSIONS.flatMap((version) => {
  const rules = getRoomVersion(version)!.knockRestricted ? ["knock", "knock_restricted"] : ["knock"];
  return rules.map((joinRule) => ({ version, joinRule }));
});

describe.each(KNOCK_CASES)("knocking across servers, room v$version, join rule $joinRule", ({ version, joinRule }) => {
  let roomId: string;

  it("B's user knocks; A's admin sees the knock through /sync", async () => {
    const allow = joinRule === "knock_restricted" ? [elsewhere] : [];
    ({ room_id: roomId } = await alice.client.createRoom({
      room_version: version,
      preset: Preset.PrivateChat,
      name: `Knock v${version} ${joinRule}`,
      initial_state: [joinRuleState(joinRule, allow)],
    }));
    await alice.client.sendTextMessage(roomId, "before the knock");
    await bob.client.knockRoom(roomId, { viaServers: [fx.a.serverName], reason: "let me in" });
    await waitForMyMembership(bob, roomId, "knock");
    // The knock section's stripped state names the room for the knocker's client.
    expect(bob.client.getRoom(roomId)!.name).toBe(`Knock v${version} ${joinRule}`);
    await waitForMembershipSeenBy(alice, roomId, bob.userId, "knock");
    const knock = syncedEvents(alice, roomId, "m.room.member", bob.userId).at(-1)!;
    expect(knock.getContent()).toMatchObject({ membership: "knock", reason: "let me in" });
    expect(knock.getSender()).toBe(bob.userId);
  });

  it("A's admin invites; B's user sees the invite through /sync and joins", async () => {
    await alice.client.invite(roomId, bob.userId);
    await waitForMyMembership(bob, roomId, "invite");
    expect(bob.client.getRoom(roomId)!.name).toBe(`Knock v${version} ${joinRule}`);
    await bob.client.joinRoom(roomId, { viaServers: [fx.a.serverName] });
    await waitForMyMembership(bob, roomId, "join");
    await waitForMembershipSeenBy(alice, roomId, bob.userId, "join");
    expect(membershipSeenBy(bob, roomId, alice.userId)).toBe("join");
  });

  it("messages flow both ways and appear in each side's /sync timeline and /messages", async () => {
    await alice.client.sendTextMessage(roomId, "hello from A");
    await waitForBody(bob, roomId, "hello from A");
    await bob.client.sendTextMessage(roomId, "hello from B");
    await waitForBody(alice, roomId, "hello from B");
    await alice.client.sendTextMessage(roomId, "and back to B");
    await waitForBody(bob, roomId, "and back to B");
    // History visibility "shared" (private_chat): B's user reads back past its join, which B's
    // server backfills from A.
    const expected = ["before the knock", "hello from A", "hello from B", "and back to B"];
    expect(await historyBodies(alice, roomId)).toEqual(expected);
    expect(await historyBodies(bob, roomId)).toEqual(expected);

    // The SDK's own back-pagination from its sync's prev_batch reaches the same history.
    const room = bob.client.getRoom(roomId)!;
    for (let i = 0; i < 20 && room.oldState.paginationToken !== null; i++) await bob.client.scrollback(room, 10);
    const timeline = room.getLiveTimeline().getEvents();
    expect(timeline.filter((e) => e.getType() === "m.room.message").map((e) => e.getContent().body)).toEqual(expected);
    expect(timeline[0]!.getType()).toBe("m.room.create");
  });

  it("B's user leaves and the leave reaches A", async () => {
    await bob.client.leave(roomId);
    await waitForMembershipSeenBy(alice, roomId, bob.userId, "leave");
    await waitForMyMembership(bob, roomId, "leave");
    const leave = syncedEvents(alice, roomId, "m.room.member", bob.userId).at(-1)!;
    expect(leave.getSender()).toBe(bob.userId);
    expect(leave.getContent()).toMatchObject({ membership: "leave" });
  });
});

describe.each(ROOM_VERSIONS)("inviting across servers, room v%s", (version) => {
  it("B's user sees the invite with stripped state incl. the room name, and joins through the inviter's server", async () => {
    const name = `Invite v${version}`;
    const { room_id: roomId } = await alice.client.createRoom({ room_version: version, preset: Preset.PrivateChat, name, topic: "a topic" });
    await alice.client.invite(roomId, bob.userId);
    await waitForMyMembership(bob, roomId, "invite");

    const invited = bob.client.getRoom(roomId)!;
    expect(invited.name).toBe(name);
    expect(invited.currentState.getStateEvents("m.room.create", "")?.getContent()["room_version"] ?? "1").toBe(version);
    expect(invited.currentState.getStateEvents("m.room.join_rules", "")?.getContent()).toEqual({ join_rule: "invite" });
    expect(invited.getMember(bob.userId)?.events.member?.getSender()).toBe(alice.userId);
    await waitForMembershipSeenBy(alice, roomId, bob.userId, "invite");

    // No via: the invite tells B's server where to join through.
    await bob.client.joinRoom(roomId);
    await waitForMyMembership(bob, roomId, "join");
    await waitForMembershipSeenBy(alice, roomId, bob.userId, "join");
    expect(bob.client.getRoom(roomId)!.currentState.getStateEvents("m.room.topic", "")?.getContent()).toMatchObject({ topic: "a topic" });
  });
});

describe.each(ROOM_VERSIONS)("taking it back, room v%s", (version) => {
  it("B's user withdraws a knock (leave handshake through A); A's admin sees the leave", async () => {
    const { room_id: roomId } = await alice.client.createRoom({ room_version: version, preset: Preset.PrivateChat, initial_state: [joinRuleState("knock")] });
    await bob.client.knockRoom(roomId, { viaServers: [fx.a.serverName] });
    await waitForMembershipSeenBy(alice, roomId, bob.userId, "knock");
    await bob.client.leave(roomId);
    await waitForMembershipSeenBy(alice, roomId, bob.userId, "leave");
    await waitForMyMembership(bob, roomId, "leave");
  });

  it("B's user rejects an invite (leave handshake through A); A's admin sees the leave", async () => {
    const { room_id: roomId } = await alice.client.createRoom({ room_version: version, preset: Preset.PrivateChat, invite: [bob.userId] });
    await waitForMyMembership(bob, roomId, "invite");
    await bob.client.leave(roomId);
    await waitForMembershipSeenBy(alice, roomId, bob.userId, "leave");
    await waitForMyMembership(bob, roomId, "leave");
    // The invite is gone for good: B's user cannot join without a new one.
    expect(membershipSeenBy(alice, roomId, bob.userId)).toBe("leave");
  });
});
