import { afterAll, describe, expect, it } from "vitest";
import { stateKey } from "../../../src/events/types.js";
import type { PersistEventInput } from "../../../src/storage/persist-events.js";
import { EMPTY_ROOT, type NodeId } from "../../../src/storage/state-map.js";
import type { Storage } from "../../../src/storage/storage.js";
import { roomEvent, tempStorage, type EventSpec } from "./helpers.js";

const tmp = tempStorage();
afterAll(() => tmp.cleanup());

const ROOM = "!room:a.example";

/** A tiny room-actor stand-in: linear DAG, current state = state after the last event. */
class Actor {
  roomNid = 0;
  head: string[] = [];
  depth = 0;
  current: NodeId = EMPTY_ROOT;
  n = 0;

  constructor(
    readonly s: Storage,
    readonly roomId = ROOM,
  ) {}

  async create(): Promise<void> {
    this.roomNid = await this.s.write((w) =>
      this.s.rooms.putRoom(w, { roomId: this.roomId, version: "11", createEventId: `$create${this.roomId}`, createdTs: 1, isLocal: true }),
    );
    await this.send({ type: "m.room.create", stateKey: "", eventId: `$create${this.roomId}` });
  }

  spec(s: Partial<EventSpec> & { type: string }): EventSpec {
    return { eventId: `$e${this.n++}${this.roomId}`, roomId: this.roomId, prevEvents: this.head, depth: this.depth + 1, ...s };
  }

  /** Persists one accepted event on top of the DAG and makes it the only extremity. */
  send(s: Partial<EventSpec> & { type: string }): Promise<number> {
    const ev = roomEvent(this.spec(s));
    return this.s.write((w) => {
      const [p] = this.s.persistEvents(w, this.roomNid, [{ event: ev, status: "accepted", stateBefore: this.current }], {});
      const root = p!.stateAfter!;
      this.s.persistEvents(w, this.roomNid, [], { extremities: [p!.nid], currentState: { root } });
      this.head = [ev.eventId];
      this.depth = ev.depth;
      this.current = root;
      return p!.nid;
    });
  }
}

describe("persistEvents", () => {
  it("persists accepted events with timeline orderings, edges, state and current state", async () => {
    const s = tmp.open("basic");
    const a = new Actor(s);
    await a.create();
    const createNid = s.events.nidOf(`$create${ROOM}`)!;
    const join = await a.send({ type: "m.room.member", stateKey: "@alice:a.example", content: { membership: "join" } });
    const msg = await a.send({ type: "m.room.message", content: { body: "hi" } });

    const rec = s.events.getEventByNid(msg)!;
    expect(rec.status).toBe("accepted");
    expect(rec.pdu.content).toEqual({ body: "hi" });
    expect(JSON.parse(rec.pduJson)).toEqual(rec.pdu);
    expect(rec.stateAfter).toBe(rec.stateBefore);
    expect(rec.streamOrdering).toBeGreaterThan(0);
    expect(rec.authOrder).toBeGreaterThan(s.events.getEventByNid(join)!.authOrder);

    const joinRec = s.events.getEventByNid(join)!;
    expect(joinRec.stateAfter).not.toBe(joinRec.stateBefore);
    expect(s.state.get(joinRec.stateAfter!, stateKey("m.room.member", "@alice:a.example"))).toBe(join);
    expect(s.state.get(joinRec.stateBefore!, stateKey("m.room.member", "@alice:a.example"))).toBeUndefined();

    expect(s.events.childrenOf(createNid)).toEqual([join]);
    expect(s.events.childrenOf(join)).toEqual([msg]);
    expect(s.rooms.getHeads(a.roomNid)).toEqual({ extremities: [msg], stateRoot: a.current });
    expect(s.rooms.currentStateNid(a.roomNid, "m.room.member", "@alice:a.example")).toBe(join);
    expect(s.rooms.currentState(a.roomNid).map((e) => e.type)).toEqual(["m.room.create", "m.room.member"]);
    expect(s.rooms.membership(a.roomNid, "@alice:a.example")).toEqual({ membership: "join", nid: join });
    expect(s.rooms.roomsOfUser("@alice:a.example")).toEqual([{ roomNid: a.roomNid, membership: "join", nid: join }]);
    expect(s.rooms.joinedServers(a.roomNid)).toEqual(["a.example"]);

    const timeline = s.rooms.timeline(a.roomNid, { dir: "b", limit: 10 });
    expect(timeline.map((e) => e.nid)).toEqual([msg, join, createNid]);
    expect(s.rooms.timeline(a.roomNid, { dir: "f", from: timeline[2]!.streamOrdering, limit: 1 }).map((e) => e.nid)).toEqual([join]);
    expect(s.rooms.topological(a.roomNid, { dir: "f", limit: 10 }).map((e) => [e.depth, e.nid])).toEqual([
      [1, createNid],
      [2, join],
      [3, msg],
    ]);
    expect(s.rooms.topological(a.roomNid, { dir: "b", from: [3, rec.streamOrdering!], limit: 10 }).map((e) => e.nid)).toEqual([join, createNid]);

    const stream = s.rooms.streamSince(0, 100);
    expect(stream.map((e) => e.nid)).toEqual([createNid, join, msg]);
    expect(stream.every((e) => e.roomNid === a.roomNid)).toBe(true);
    const deltas = s.rooms.stateDeltasSince(0, 100);
    expect(deltas.map((d) => d.changes.map((c) => [c.key, c.old, c.new]))).toEqual([
      [[stateKey("m.room.create", ""), null, createNid]],
      [[stateKey("m.room.member", "@alice:a.example"), null, join]],
    ]);
    expect(s.rooms.currentStreamPosition()).toBe(Math.max(...stream.map((e) => e.pos), ...deltas.map((d) => d.pos)));
    expect(s.rooms.streamSince(stream[1]!.pos, 100).map((e) => e.nid)).toEqual([msg]);
  });

  it("keeps soft-failed, rejected and outlier events out of the timeline, each as the spec says", async () => {
    const s = tmp.open("statuses");
    const a = new Actor(s);
    await a.create();
    const base = a.current;
    const soft = roomEvent(a.spec({ type: "m.room.topic", stateKey: "", content: { topic: "evading a ban" } }));
    const rejected = roomEvent(a.spec({ type: "m.room.name", stateKey: "", content: { name: "bad" } }));
    const outlier = roomEvent(a.spec({ type: "m.room.power_levels", stateKey: "", prevEvents: ["$unknown"] }));
    const out = await s.write((w) =>
      s.persistEvents(w, a.roomNid, [
        { event: soft, status: "soft_failed", stateBefore: base },
        { event: rejected, status: "rejected", rejectReason: "auth: not allowed", stateBefore: base },
        { event: outlier, status: "outlier", stateBefore: null },
      ]),
    );
    const [sf, rj, ol] = out.map((p) => s.events.getEventByNid(p.nid)!);
    // Soft-failed state events do take part in state (they may win state resolution).
    expect(sf!.status).toBe("soft_failed");
    expect(s.state.get(sf!.stateAfter!, stateKey("m.room.topic", ""))).toBe(out[0]!.nid);
    expect(sf!.streamOrdering).toBeUndefined();
    // Rejected events never change state.
    expect(rj!.status).toBe("rejected");
    expect(rj!.rejectReason).toBe("auth: not allowed");
    expect(rj!.stateAfter).toBe(base);
    expect(rj!.streamOrdering).toBeUndefined();
    expect(ol!.status).toBe("outlier");
    expect(ol!.stateBefore).toBeNull();
    // Nothing entered the timeline or the sync stream; the outlier has no DAG edges.
    expect(s.rooms.timeline(a.roomNid, { dir: "b", limit: 10 })).toHaveLength(1);
    expect(s.rooms.streamSince(0, 100)).toHaveLength(1);
    const createNid = s.events.nidOf(`$create${ROOM}`)!;
    expect(s.events.childrenOf(createNid).sort()).toEqual([out[0]!.nid, out[1]!.nid].sort());
    expect(s.events.nidOf("$unknown")).toBeUndefined();
    expect(s.events.hasEvent(outlier.eventId)).toBe(true);
    expect(s.rooms.getHeads(a.roomNid).extremities).toEqual([createNid]);

    // De-outliering: persisted again with its state, it keeps its nid and auth order.
    const again = await s.write((w) => s.persistEvents(w, a.roomNid, [{ event: outlier, status: "accepted", stateBefore: base }]));
    expect(again[0]!.nid).toBe(out[2]!.nid);
    expect(again[0]!.authOrder).toBe(out[2]!.authOrder);
    const de = s.events.getEventByNid(again[0]!.nid)!;
    expect(de.status).toBe("accepted");
    expect(de.streamOrdering).toBeGreaterThan(0);
    expect(s.events.childrenOf(s.events.nidOf("$unknown")!)).toEqual([again[0]!.nid]);
    // A referenced-but-missing ID is interned, not held.
    expect(s.events.hasEvent("$unknown")).toBe(false);
    expect(s.events.getEvent("$unknown")).toBeUndefined();
  });

  it("refuses inconsistent input and then writes nothing at all", async () => {
    const s = tmp.open("refuse");
    const a = new Actor(s);
    await a.create();
    const statsBefore = s.store.stats().dbs;
    const ok = roomEvent(a.spec({ type: "m.room.message" }));
    const dup = roomEvent({ eventId: `$create${ROOM}`, roomId: ROOM, type: "m.room.create", stateKey: "" });
    await expect(
      s.write((w) => s.persistEvents(w, a.roomNid, [{ event: ok, status: "accepted", stateBefore: a.current }, { event: dup, status: "accepted", stateBefore: EMPTY_ROOT }])),
    ).rejects.toThrow(/already persisted/);
    const elsewhere = roomEvent({ ...a.spec({ type: "m.room.message" }), roomId: "!other:x" });
    await expect(s.write((w) => s.persistEvents(w, a.roomNid, [{ event: elsewhere, status: "accepted", stateBefore: a.current }]))).rejects.toThrow(
      /not in room/,
    );
    await expect(s.write((w) => s.persistEvents(w, a.roomNid, [{ event: ok, status: "accepted", stateBefore: null }]))).rejects.toThrow(/needs its state/);
    await expect(s.write((w) => s.persistEvents(w, 999, [{ event: ok, status: "accepted", stateBefore: a.current }]))).rejects.toThrow(/unknown room/);
    await s.write((w) => w.put("roomNids", "!flush:x", 1));
    expect(s.events.nidOf(ok.eventId)).toBeUndefined();
    const statsAfter = s.store.stats().dbs;
    for (const name of ["events", "eventIds", "roomStream", "stream", "eventEdges"] as const) {
      expect(statsAfter[name].entries).toBe(statsBefore[name].entries);
    }
  });

  it("derives membership, joined servers and state deltas from current-state changes", async () => {
    const s = tmp.open("members");
    const a = new Actor(s);
    await a.create();
    const b1 = await a.send({ type: "m.room.member", stateKey: "@bob:b.example", content: { membership: "join" } });
    await a.send({ type: "m.room.member", stateKey: "@bea:b.example", content: { membership: "join" } });
    await a.send({ type: "m.room.member", stateKey: "@cat:c.example", content: { membership: "invite" } });
    expect(s.rooms.joinedServers(a.roomNid)).toEqual(["b.example"]);
    await a.send({ type: "m.room.member", stateKey: "@bob:b.example", content: { membership: "leave" } });
    expect(s.rooms.joinedServers(a.roomNid)).toEqual(["b.example"]);
    expect(s.rooms.membership(a.roomNid, "@bob:b.example")!.membership).toBe("leave");
    await a.send({ type: "m.room.member", stateKey: "@bea:b.example", content: { membership: "ban" } });
    expect(s.rooms.joinedServers(a.roomNid)).toEqual([]);
    expect(s.rooms.members(a.roomNid).map((m) => [m.userId, m.membership])).toEqual([
      ["@bea:b.example", "ban"],
      ["@bob:b.example", "leave"],
      ["@cat:c.example", "invite"],
    ]);
    expect(s.rooms.members(a.roomNid, "invite")).toHaveLength(1);
    expect(s.rooms.currentState(a.roomNid, "m.room.member").map((e) => e.stateKey)).toEqual(["@bea:b.example", "@bob:b.example", "@cat:c.example"]);
    expect(s.rooms.currentState(a.roomNid, "m.room.create")).toHaveLength(1);

    // State resolution moves the current state back (changes given explicitly this time):
    // Bob's join wins again; his membership and the joined servers follow.
    const back = await s.write((w) => {
      const changes = new Map([[stateKey("m.room.member", "@bob:b.example"), b1]]);
      const root = s.state.applyChanges(w, a.current, changes);
      s.persistEvents(w, a.roomNid, [], { currentState: { root, changes } });
      return root;
    });
    expect(s.rooms.getHeads(a.roomNid).stateRoot).toBe(back);
    expect(s.rooms.membership(a.roomNid, "@bob:b.example")).toEqual({ membership: "join", nid: b1 });
    expect(s.rooms.joinedServers(a.roomNid)).toEqual(["b.example"]);
    const last = s.rooms.stateDeltasSince(0, 100).at(-1)!;
    expect(last.changes).toEqual([{ key: stateKey("m.room.member", "@bob:b.example"), old: expect.any(Number), new: b1 }]);
    expect(s.rooms.timeline(a.roomNid, { dir: "b", limit: 1 })[0]!.nid).not.toBe(b1);
  });

  it("orders backfilled events before the timeline and keeps them out of /sync", async () => {
    const s = tmp.open("backfill");
    const a = new Actor(s);
    await a.create();
    const old = roomEvent({ eventId: "$old", roomId: ROOM, type: "m.room.message", depth: 1, prevEvents: [] });
    const [p] = await s.write((w) => s.persistEvents(w, a.roomNid, [{ event: old, status: "accepted", stateBefore: EMPTY_ROOT, backfilled: true }]));
    expect(p!.streamOrdering).toBeLessThan(0);
    expect(s.rooms.timeline(a.roomNid, { dir: "f", limit: 10 })[0]!.nid).toBe(p!.nid);
    expect(s.rooms.streamSince(0, 100).map((e) => e.nid)).not.toContain(p!.nid);
  });

  it("indexes redactions, including ones that arrive before their target, and applies them", async () => {
    const s = tmp.open("redact");
    const a = new Actor(s);
    await a.create();
    const red = await a.send({ type: "m.room.redaction", content: { redacts: "$target" }, redacts: "$target" });
    const target = await a.send({ type: "m.room.message", eventId: "$target", content: { body: "secret" } });
    expect(target).toBe(s.events.nidOf("$target"));
    expect(s.events.redactionsOf(target)).toEqual([red]);
    const redacted = { ...s.events.getEventByNid(target)!.pdu, content: {} };
    await s.write((w) => s.events.markRedacted(w, target, red, redacted));
    const rec = s.events.getEvent("$target")!;
    expect(rec.redactedBy).toBe(red);
    expect(rec.pdu.content).toEqual({});
    expect(s.events.getPdu("$target")).toEqual(redacted);
  });

  it("stores the PDU losslessly, including keys msgpack would mangle", async () => {
    const s = tmp.open("lossless");
    const a = new Actor(s);
    await a.create();
    const content = JSON.parse('{"__proto__":{"x":1},"constructor":"c","f":1.5,"big":9007199254740991,"u":"é😀\\u0000","n":null}');
    const nid = await a.send({ type: "m.room.message", content });
    const rec = s.events.getEventByNid(nid)!;
    expect(JSON.stringify(rec.pdu.content)).toBe(JSON.stringify(content));
    expect(Object.keys(rec.pdu.content)).toContain("__proto__");
  });

  it("serves lookups by ID and nid, and everything survives a reopen", async () => {
    const s = tmp.open("reopen");
    const a = new Actor(s);
    await a.create();
    const m = await a.send({ type: "m.room.message", eventId: "$m1" });
    expect(s.events.getEvents(["$m1", "$nope"]).map((r) => r?.nid)).toEqual([m, undefined]);
    expect(s.events.eventIdsOf([m])).toEqual(["$m1"]);
    expect(() => s.events.eventIdsOf([123456])).toThrow(/unknown event nid/);
    expect(s.rooms.getRoom(ROOM)).toMatchObject({ roomNid: a.roomNid, version: "11", isLocal: true });
    await s.close();
    const again = tmp.open("reopen");
    expect(again.events.getEvent("$m1")!.nid).toBe(m);
    expect(again.rooms.getHeads(a.roomNid).extremities).toEqual([m]);
    expect(again.state.size(again.rooms.getHeads(a.roomNid).stateRoot)).toBe(1);
    expect(again.rooms.allRoomNids()).toEqual([a.roomNid]);
    // New nids continue after the old ones.
    const next = await again.write((w) => again.events.intern(w, "$new"));
    expect(next).toBeGreaterThan(m);
  });

  it("persists many rooms' events concurrently with a consistent global stream", async () => {
    const s = tmp.open("concurrent");
    const rooms = Array.from({ length: 20 }, (_, i) => new Actor(s, `!r${i}:a.example`));
    await Promise.all(rooms.map((r) => r.create()));
    await Promise.all(
      rooms.map(async (r) => {
        for (let i = 0; i < 30; i++) await r.send({ type: "m.room.message", content: { i } });
      }),
    );
    const stream = s.rooms.streamSince(0, 10_000);
    expect(stream).toHaveLength(20 * 31);
    for (let i = 1; i < stream.length; i++) expect(stream[i]!.pos).toBeGreaterThan(stream[i - 1]!.pos);
    for (const r of rooms) {
      const nids = s.rooms.timeline(r.roomNid, { dir: "f", limit: 100 }).map((e) => e.nid);
      const bodies = nids.slice(1).map((nid) => s.events.getEventByNid(nid)!.pdu.content.i);
      expect(bodies).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect(stream.filter((e) => e.roomNid === r.roomNid).map((e) => e.nid)).toEqual(nids);
    }
  });

  it("lets an actor pipeline writes: the next batch sees the previous one before it commits", async () => {
    const s = tmp.open("pipeline");
    const a = new Actor(s);
    await a.create();
    const first = roomEvent(a.spec({ type: "m.room.member", stateKey: "@p:a.example", content: { membership: "join" } }));
    const p1 = s.write((w) => s.persistEvents(w, a.roomNid, [{ event: first, status: "accepted", stateBefore: a.current }]));
    // Not awaited: the second write reads the first's record and state nodes from the pending overlay.
    const p2 = s.write((w) => {
      const rec = s.events.getEvent(first.eventId, w)!;
      const second = roomEvent({ ...a.spec({ type: "m.room.message" }), prevEvents: [first.eventId], depth: rec.depth + 1 });
      const input: PersistEventInput = { event: second, status: "accepted", stateBefore: rec.stateAfter };
      const [p] = s.persistEvents(w, a.roomNid, [input], { extremities: [], currentState: { root: rec.stateAfter! } });
      return [rec.nid, p!.nid];
    });
    expect(s.events.getEvent(first.eventId)).toBeUndefined();
    expect(s.events.getEvent(first.eventId, s.store.pending)?.status).toBe("accepted");
    const [[n1], [firstNid, n2]] = await Promise.all([p1.then((r) => r.map((x) => x.nid)), p2]);
    expect(firstNid).toBe(n1);
    expect(s.events.childrenOf(n1!)).toEqual([n2]);
    expect(s.rooms.membership(a.roomNid, "@p:a.example")?.nid).toBe(n1);
  });
});
