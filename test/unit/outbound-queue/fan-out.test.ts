import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LocalEventSpec } from "../../../src/rooms/local/build-event.js";
import { getRoomVersion } from "../../../src/events/room-versions.js";
import type { RoomEvent } from "../../../src/events/types.js";
import { catchUpEvents } from "../../../src/outbound/queue/catch-up.js";
import { destinationsFor } from "../../../src/outbound/queue/fan-out.js";
import { harness, LOCAL, RemoteServer, type Harness } from "../../helpers/rooms.js";

const ALICE = `@alice:${LOCAL}`;

describe("fan-out destinations and catch-up events", () => {
  let h: Harness;
  let roomId: string;
  let a: RemoteServer;
  let b: RemoteServer;

  beforeEach(async () => {
    h = harness();
    a = new RemoteServer("a.test", h);
    b = new RemoteServer("b.test", h);
    const version = getRoomVersion("11")!;
    ({ roomId } = await h.rooms.createRoom({
      version,
      creator: ALICE,
      createContent: {},
      initialEvents: (): LocalEventSpec[] => [
        { type: "m.room.member", stateKey: ALICE, sender: ALICE, content: { membership: "join" } },
        { type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { [ALICE]: 100 }, users_default: 0, state_default: 50, invite: 0 } },
        { type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" } },
      ],
    }));
    for (const r of [a, b]) {
      const user = `@u:${r.serverName}`;
      const join = r.event(roomId, { type: "m.room.member", stateKey: user, sender: user, content: { membership: "join" } });
      const [o] = await h.rooms.actor(roomId).receive([{ event: join }]);
      expect(o?.status).toBe("accepted");
    }
  });
  afterEach(async () => {
    await h.close();
  });

  function draft(type: string, stateKey: string | undefined, content: Record<string, unknown>): RoomEvent {
    return { eventId: "$x", roomId, type, stateKey, sender: ALICE, content: content as never, prevEvents: [], authEvents: [], depth: 1, originServerTs: 0, redacts: undefined, pdu: {} as never };
  }

  it("sends to every joined server but us, plus a membership target's server, minus the origin", () => {
    const ctx = h.rooms.context(roomId)!;
    expect(destinationsFor(ctx, draft("m.room.message", undefined, {}), undefined).sort()).toEqual(["a.test", "b.test"]);
    expect(destinationsFor(ctx, draft("m.room.member", "@carol:c.test", { membership: "invite" }), undefined).sort()).toEqual(["a.test", "b.test", "c.test"]);
    expect(destinationsFor(ctx, draft("m.room.member", "@u:a.test", { membership: "join" }), "a.test")).toEqual(["b.test"]);
  });

  it("still sends to servers the room's ACL denies while they are residents (server_acls.md)", async () => {
    await h.rooms.send(roomId, { type: "m.room.server_acl", stateKey: "", sender: ALICE, content: { allow: ["*"], deny: ["b.test"], allow_ip_literals: true } });
    const ctx = h.rooms.context(roomId)!;
    expect(destinationsFor(ctx, draft("m.room.message", undefined, {}), undefined).sort()).toEqual(["a.test", "b.test"]);
  });

  it("catch-up sends our forward extremities, or the marked event when none is ours", async () => {
    const room = h.storage.rooms.getRoom(roomId)!;
    const ours = await h.rooms.send(roomId, { type: "m.room.message", sender: ALICE, content: { body: "mine" } });
    // Our event is the only extremity: it is what goes, whatever older event was marked.
    expect(catchUpEvents(h.storage, LOCAL, room.roomNid, 1)).toEqual([ours.nid]);
    expect(catchUpEvents(h.storage, LOCAL, room.roomNid, ours.nid)).toEqual([ours.nid]);
    // A remote event now tops the DAG: nothing of ours is an extremity, so the marked event goes.
    const theirs = a.event(roomId, { type: "m.room.message", sender: "@u:a.test", content: { body: "theirs" } });
    await h.rooms.actor(roomId).receive([{ event: theirs }]);
    expect(catchUpEvents(h.storage, LOCAL, room.roomNid, ours.nid)).toEqual([ours.nid]);
    const theirNid = h.storage.events.nidOf(theirs.eventId)!;
    expect(catchUpEvents(h.storage, LOCAL, room.roomNid, theirNid)).toEqual([theirNid]);
  });
});
