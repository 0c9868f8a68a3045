import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { logger } from "../../../src/log.js";
import { membershipStore, type MembershipChange } from "../../../src/rooms/membership/membership-store.js";
import { trackPendingMemberships } from "../../../src/rooms/membership/pending-tracker.js";
import { harness, RemoteServer, type Harness } from "../../helpers/rooms.js";
import { ALICE, local, newRoom, remoteMembership, setMembership } from "./room-fixture.js";

describe("pending invites and knocks follow our rooms", () => {
  let h: Harness;
  let changes: MembershipChange[];
  beforeEach(() => {
    h = harness();
    trackPendingMemberships(h.rooms, logger("test"));
    trackPendingMemberships(h.rooms, logger("test")); // idempotent
    changes = [];
    membershipStore(h.storage).onChange((c) => changes.push(c));
  });
  afterEach(async () => {
    await h.close();
  });

  async function settled(n: number): Promise<void> {
    for (let i = 0; i < 500 && changes.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    expect(changes.length).toBe(n);
  }
  const summary = () => changes.map((c) => `${c.kind}${c.removed ? "-" : "+"}`);

  it("a local knock is recorded, the invite answering it replaces it, the join ends it", async () => {
    const roomId = await newRoom(h, "10", { joinRule: "knock" });
    const erin = local("erin");
    const store = membershipStore(h.storage);
    await setMembership(h, roomId, erin, "knock");
    await settled(1);
    const knock = store.knock(erin, roomId)!;
    expect(knock.event.content).toEqual({ membership: "knock" });
    expect(knock.strippedState.map((s) => s.type)).toEqual(["m.room.create", "m.room.join_rules"]);
    await setMembership(h, roomId, erin, "invite", ALICE);
    await settled(3);
    expect(store.knock(erin, roomId)).toBeUndefined();
    expect(store.invite(erin, roomId)?.event.sender).toBe(ALICE);
    await setMembership(h, roomId, erin, "join");
    await settled(4);
    expect(summary()).toEqual(["knock+", "knock-", "invite+", "invite-"]);
    expect(store.invitesOf(erin)).toEqual([]);
  });

  it("remote users' memberships are not recorded; a rejected invite is removed", async () => {
    const roomId = await newRoom(h, "11", { joinRule: "invite" });
    const remote = new RemoteServer("remote.test", h);
    await setMembership(h, roomId, "@r:remote.test", "invite", ALICE);
    await remoteMembership(h, remote, roomId, "@r:remote.test", "join");
    const fred = local("fred");
    await setMembership(h, roomId, fred, "invite", ALICE);
    await settled(1);
    await setMembership(h, roomId, fred, "leave");
    await settled(2);
    expect(summary()).toEqual(["invite+", "invite-"]);
  });
});
