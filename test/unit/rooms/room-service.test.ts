import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getRoomVersion, type RoomVersion } from "../../../src/events/room-versions.js";
import { stateKey } from "../../../src/events/types.js";
import type { LocalEventSpec } from "../../../src/rooms/local/build-event.js";
import { MatrixError } from "../../../src/errors.js";
import { harness, LOCAL, RemoteServer, type Harness } from "../../helpers/rooms.js";

const ALICE = `@alice:${LOCAL}`;
const BOB = "@bob:remote.test";

function initialEvents(version: RoomVersion, joinRule = "public"): (roomId: string) => LocalEventSpec[] {
  const users: Record<string, number> = version.creatorsHaveInfinitePower ? {} : { [ALICE]: 100 };
  return (): LocalEventSpec[] => [
    { type: "m.room.member", stateKey: ALICE, sender: ALICE, content: { membership: "join" } },
    {
      type: "m.room.power_levels",
      stateKey: "",
      sender: ALICE,
      content: { users, users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0, events: {} },
    },
    { type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: joinRule } },
  ];
}

async function newRoom(h: Harness, v: string): Promise<string> {
  const version = getRoomVersion(v)!;
  const { roomId } = await h.rooms.createRoom({ version, creator: ALICE, createContent: {}, initialEvents: initialEvents(version) });
  return roomId;
}

function currentStateId(h: Harness, roomId: string, type: string, sk: string): string | undefined {
  const room = h.storage.rooms.getRoom(roomId)!;
  const nid = h.storage.rooms.currentStateNid(room.roomNid, type, sk);
  return nid === undefined ? undefined : h.storage.events.eventIdOf(nid);
}

function extremityIds(h: Harness, roomId: string): string[] {
  const room = h.storage.rooms.getRoom(roomId)!;
  return h.storage.events.eventIdsOf(h.storage.rooms.getHeads(room.roomNid).extremities);
}

describe.each(["1", "3", "7", "10", "11", "12"])("rooms engine, room version %s", (v) => {
  let h: Harness;
  let remote: RemoteServer;
  beforeEach(() => {
    h = harness();
    remote = new RemoteServer("remote.test", h);
  });
  afterEach(async () => {
    await h.close();
  });

  it("creates a room whose state, extremities and membership agree", async () => {
    const roomId = await newRoom(h, v);
    if (getRoomVersion(v)!.roomIdFromCreateEvent) expect(roomId).toMatch(/^![A-Za-z0-9_-]{43}$/);
    else expect(roomId.endsWith(`:${LOCAL}`)).toBe(true);
    const room = h.storage.rooms.getRoom(roomId)!;
    expect(room.version).toBe(v);
    expect(h.storage.rooms.membership(room.roomNid, ALICE)?.membership).toBe("join");
    const jr = currentStateId(h, roomId, "m.room.join_rules", "");
    expect(extremityIds(h, roomId)).toEqual([jr]);
    expect(h.storage.rooms.joinedServers(room.roomNid)).toEqual([LOCAL]);
  });

  it("accepts a remote join and messages, in order, and is idempotent on retries", async () => {
    const roomId = await newRoom(h, v);
    const join = remote.event(roomId, { type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join" } });
    const [j] = await h.rooms.actor(roomId).receive([{ event: join }]);
    expect(j).toMatchObject({ status: "accepted", duplicate: false });
    const msg = remote.event(roomId, { type: "m.room.message", sender: BOB, content: { msgtype: "m.text", body: "hi" } });
    const [m] = await h.rooms.actor(roomId).receive([{ event: msg }]);
    expect(m).toMatchObject({ status: "accepted" });
    expect(extremityIds(h, roomId)).toEqual([msg.eventId]);
    const room = h.storage.rooms.getRoom(roomId)!;
    expect(h.storage.rooms.membership(room.roomNid, BOB)?.membership).toBe("join");
    expect(h.storage.rooms.joinedServers(room.roomNid).sort()).toEqual([LOCAL, "remote.test"]);
    const again = await h.rooms.actor(roomId).receive([{ event: join }, { event: msg }]);
    expect(again.map((o) => o.status === "accepted" && "duplicate" in o && o.duplicate)).toEqual([true, true]);
  });

  it("rejects an event whose sender is not in the room, and keeps it out of state and extremities", async () => {
    const roomId = await newRoom(h, v);
    const before = extremityIds(h, roomId);
    const topic = remote.event(roomId, { type: "m.room.topic", stateKey: "", sender: BOB, content: { topic: "hijack" } });
    const [o] = await h.rooms.actor(roomId).receive([{ event: topic }]);
    expect(o!.status).toBe("rejected");
    expect(currentStateId(h, roomId, "m.room.topic", "")).toBeUndefined();
    expect(extremityIds(h, roomId)).toEqual(before);
    expect(h.storage.events.getEvent(topic.eventId)?.status).toBe("rejected");
  });

  it("soft-fails an event that passes at its own position but not against current state (ban evasion)", async () => {
    const roomId = await newRoom(h, v);
    const join = remote.event(roomId, { type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join" } });
    await h.rooms.actor(roomId).receive([{ event: join }]);
    const beforeBan = extremityIds(h, roomId);
    const rootBeforeBan = h.storage.rooms.getHeads(h.storage.rooms.getRoom(roomId)!.roomNid).stateRoot;
    await h.rooms.send(roomId, { type: "m.room.member", stateKey: BOB, sender: ALICE, content: { membership: "ban" } });
    // Bob's server pretends it never saw the ban.
    const evade = remote.event(roomId, {
      type: "m.room.message",
      sender: BOB,
      content: { msgtype: "m.text", body: "still here" },
      prevEvents: beforeBan,
      stateRoot: rootBeforeBan,
    });
    const [o] = await h.rooms.actor(roomId).receive([{ event: evade }]);
    expect(o!.status).toBe("soft_failed");
    expect(extremityIds(h, roomId)).not.toContain(evade.eventId);
    expect(h.storage.events.getEvent(evade.eventId)?.streamOrdering).toBeUndefined();
  });

  it("resolves forks: a merge event sees the resolved state of both branches", async () => {
    const roomId = await newRoom(h, v);
    const join = remote.event(roomId, { type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join" } });
    await h.rooms.actor(roomId).receive([{ event: join }]);
    const base = extremityIds(h, roomId);
    const a = await h.rooms.send(roomId, { type: "m.room.name", stateKey: "", sender: ALICE, content: { name: "A" } });
    // Bob's branch forks from before Alice's name change.
    const b = remote.event(roomId, { type: "m.room.message", sender: BOB, content: { msgtype: "m.text", body: "fork" }, prevEvents: base });
    const [ob] = await h.rooms.actor(roomId).receive([{ event: b }]);
    expect(ob!.status).toBe("accepted");
    expect(extremityIds(h, roomId).sort()).toEqual([a.eventId, b.eventId].sort());
    // Current state after the fork still has the name (resolution of both branches).
    expect(currentStateId(h, roomId, "m.room.name", "")).toBe(a.eventId);
    const merge = await h.rooms.send(roomId, { type: "m.room.message", sender: ALICE, content: { msgtype: "m.text", body: "merge" } });
    const mergePdu = h.storage.events.getEvent(merge.eventId)!;
    expect(mergePdu.status).toBe("accepted");
    expect(extremityIds(h, roomId)).toEqual([merge.eventId]);
    const stateBefore = mergePdu.stateBefore!;
    const nameNid = h.storage.state.get(stateBefore, stateKey("m.room.name", ""));
    expect(h.storage.events.eventIdOf(nameNid!)).toBe(a.eventId);
  });

  it("stores nothing for events it cannot place (unknown auth or prev events)", async () => {
    const roomId = await newRoom(h, v);
    const join = remote.event(roomId, { type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join" } });
    const missingPrev = remote.event(roomId, {
      type: "m.room.message",
      sender: BOB,
      content: { msgtype: "m.text", body: "?" },
      prevEvents: [join.eventId],
      authEvents: [...join.authEvents, join.eventId],
    });
    const [o] = await h.rooms.actor(roomId).receive([{ event: missingPrev }]);
    expect(o!.status).toBe("unplaced");
    expect(h.storage.events.getEvent(missingPrev.eventId)).toBeUndefined();
  });

  it("refuses a local event the rules forbid, writing nothing", async () => {
    const roomId = await newRoom(h, v);
    const before = extremityIds(h, roomId);
    const err = await h.rooms
      .send(roomId, { type: "m.room.message", sender: `@mallory:${LOCAL}`, content: { body: "x" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MatrixError);
    expect((err as MatrixError).errcode).toBe("M_FORBIDDEN");
    expect(extremityIds(h, roomId)).toEqual(before);
  });

  it("applies an allowed redaction to the stored event", async () => {
    const roomId = await newRoom(h, v);
    const msg = await h.rooms.send(roomId, { type: "m.room.message", sender: ALICE, content: { msgtype: "m.text", body: "secret" } });
    await h.rooms.send(roomId, { type: "m.room.redaction", sender: ALICE, content: {}, redacts: msg.eventId });
    const stored = h.storage.events.getEvent(msg.eventId)!;
    expect(stored.redactedBy).toBeDefined();
    expect(stored.pdu.content).toEqual({});
  });

  it("leaves no partial room state behind when a write fails midway", async () => {
    const roomId = await newRoom(h, v);
    const room = h.storage.rooms.getRoom(roomId)!;
    const headsBefore = h.storage.rooms.getHeads(room.roomNid);
    const join = remote.event(roomId, { type: "m.room.member", stateKey: BOB, sender: BOB, content: { membership: "join" } });
    let calls = 0;
    h.rooms.onPersisted(() => {
      if (++calls === 2) throw new Error("disk on fire");
    });
    // The join is persisted first in the batch, then the failure hits the second event.
    const second = remote.event(roomId, {
      type: "m.room.message",
      sender: BOB,
      content: { msgtype: "m.text", body: "after" },
      prevEvents: [join.eventId],
      authEvents: [
        ...join.authEvents.filter((id) => ["m.room.create", "m.room.power_levels"].includes(h.storage.events.getEvent(id)?.pdu.type ?? "")),
        join.eventId,
      ],
    });
    await expect(h.rooms.actor(roomId).receiveNow([{ event: join }, { event: second }], undefined, true)).rejects.toThrow("disk on fire");
    expect(h.storage.events.getEvent(join.eventId)).toBeUndefined();
    expect(h.storage.events.getEvent(second.eventId)).toBeUndefined();
    expect(h.storage.rooms.getHeads(room.roomNid)).toEqual(headsBefore);
    expect(h.storage.rooms.membership(room.roomNid, BOB)).toBeUndefined();
    // and the room keeps working
    calls = 10;
    const [o] = await h.rooms.actor(roomId).receive([{ event: join }]);
    expect(o!.status).toBe("accepted");
  });
});
