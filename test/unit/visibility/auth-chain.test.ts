import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getRoomVersion } from "../../../src/events/room-versions.js";
import type { LocalEventSpec } from "../../../src/rooms/local/build-event.js";
import { authChainIds, authChainNids, authChainRecords } from "../../../src/rooms/auth-chain.js";
import { harness, LOCAL, type Harness } from "../../helpers/rooms.js";

const ALICE = `@alice:${LOCAL}`;

describe.each(["1", "11", "12"])("auth chain, room version %s", (v) => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(async () => {
    await h.close();
  });

  it("is the transitive closure of auth_events, each once, auth events before dependants", async () => {
    const version = getRoomVersion(v)!;
    const { roomId, events } = await h.rooms.createRoom({
      version,
      creator: ALICE,
      createContent: {},
      initialEvents: (): LocalEventSpec[] => [
        { type: "m.room.member", stateKey: ALICE, sender: ALICE, content: { membership: "join" } },
        { type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: version.creatorsHaveInfinitePower ? {} : { [ALICE]: 100 } } },
        { type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" } },
      ],
    });
    const [create, join, pl, jr] = events.map((e) => e.eventId) as [string, string, string, string];
    const msg = await h.rooms.send(roomId, { type: "m.room.message", sender: ALICE, content: { body: "x" } });

    // The message's auth events: create (not in v12, which names it by the room ID instead),
    // power levels and Alice's join; their own auth events add nothing new.
    const ids = authChainIds(h.rooms, [msg.eventId]);
    const expected = version.createInAuthEvents ? [create, join, pl] : [join, pl];
    expect(new Set(ids)).toEqual(new Set(expected));
    expect(ids).not.toContain(jr);
    expect(ids).not.toContain(msg.eventId);
    expect(new Set(ids).size).toBe(ids.length);

    // The chain of a set includes members that authorise other members (the power levels are
    // sent by Alice, so her join is in their chain).
    expect(authChainIds(h.rooms, [join, pl])).toContain(join);
    expect(authChainIds(h.rooms, [join, pl])).not.toContain(pl);

    const withGiven = authChainNids(h.rooms, [msg.nid], { includeGiven: true });
    expect(withGiven[0]).toBe(msg.nid);

    const ordered = authChainRecords(h.rooms, [msg.nid]).map((r) => r.eventId);
    if (version.createInAuthEvents) expect(ordered[0]).toBe(create);
    expect(ordered.indexOf(join)).toBeLessThan(ordered.indexOf(pl));
    expect(authChainIds(h.rooms, ["$unknown"])).toEqual([]);
  });
});
