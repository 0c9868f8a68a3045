import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getRoomVersion } from "../../../src/events/room-versions.js";
import type { RoomEvent } from "../../../src/events/types.js";
import { persistOutliers } from "../../../src/rooms/pipeline/persist-outliers.js";
import { harness, RemoteServer, type Harness } from "../../helpers/rooms.js";
import { newRoom } from "../membership/room-fixture.js";

const REMOTE = "remote.test";
const BOB = `@bob:${REMOTE}`;

describe.each(["10", "12"])("outliers, room version %s", (v) => {
  let h: Harness;
  let remote: RemoteServer;
  beforeEach(() => {
    h = harness();
    remote = new RemoteServer(REMOTE, h);
  });
  afterEach(async () => {
    await h.close();
  });

  function persist(roomId: string, events: RoomEvent[]) {
    const actor = h.rooms.actor(roomId);
    return actor.exclusive(() => h.storage.write((w) => persistOutliers(actor.context(w), w, events)));
  }

  it("checks each event against its auth events in auth order and reports per event", async () => {
    const version = getRoomVersion(v)!;
    const roomId = await newRoom(h, v);
    const otherRoom = await newRoom(h, v);
    const room = h.storage.rooms.getRoom(roomId)!;
    const createId = room.createEventId!;
    const plId = h.storage.events.eventIdOf(h.storage.rooms.currentStateNid(room.roomNid, "m.room.power_levels", "")!)!;
    const base = version.createInAuthEvents ? [createId, plId] : [plId];

    const join = remote.event(roomId, { type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join" } });
    // Authorised by the join given after it in the input; Bob (PL 0) may not set the topic.
    const topic = remote.event(roomId, { type: "m.room.topic", stateKey: "", sender: BOB, content: { topic: "t" }, authEvents: [...base, join.eventId] });
    const unknownAuth = remote.event(roomId, { type: "m.room.message", sender: BOB, content: { body: "x" }, authEvents: [...base, "$notheldanywhere"] });
    const foreignCreate = remote.event(roomId, { type: "m.room.create", stateKey: "", sender: BOB, content: { room_version: v }, prevEvents: [], authEvents: [] });
    const ofOtherRoom = remote.event(otherRoom, { type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join" } });
    const ownCreate = h.rooms.loader.byId(createId)!;

    const r = await persist(roomId, [topic, join, join, unknownAuth, foreignCreate, ofOtherRoom, ownCreate]);

    expect(r.outcomes.get(join.eventId)).toMatchObject({ kind: "stored" });
    expect(r.outcomes.get(topic.eventId)).toMatchObject({ kind: "rejected" });
    expect(r.outcomes.get(unknownAuth.eventId)).toEqual({ kind: "missing_auth", missing: ["$notheldanywhere"] });
    expect(r.outcomes.get(ownCreate.eventId)).toMatchObject({ kind: "held", rejected: false });
    expect(r.outcomes.has(foreignCreate.eventId)).toBe(false);
    expect(r.outcomes.has(ofOtherRoom.eventId)).toBe(false);
    expect(r.outcomes.size).toBe(4);
    expect({ stored: r.stored, rejected: r.rejected, missingAuth: r.missingAuth }).toEqual({ stored: 1, rejected: 1, missingAuth: [unknownAuth.eventId] });

    const status = (id: string) => h.storage.events.getEvent(id)?.status;
    expect(status(join.eventId)).toBe("outlier");
    expect(status(topic.eventId)).toBe("rejected");
    expect(status(unknownAuth.eventId)).toBeUndefined();
    expect(status(foreignCreate.eventId)).toBeUndefined();
    expect(status(ofOtherRoom.eventId)).toBeUndefined();

    // Stored again: everything that is held says so.
    const again = await persist(roomId, [join, topic]);
    expect(again.outcomes.get(join.eventId)).toMatchObject({ kind: "held", rejected: false });
    expect(again.outcomes.get(topic.eventId)).toMatchObject({ kind: "held", rejected: true });
    expect(again.stored + again.rejected).toBe(0);
  });
});
