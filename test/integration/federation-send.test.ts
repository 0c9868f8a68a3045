import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import { Errors } from "../../src/errors.js";
import type { HttpRequest } from "../../src/http/request.js";
import { TransactionService } from "../../src/federation/send/transaction-service.js";
import { waitFor } from "../helpers/wait.js";
import { gate, SendFixture, type BuiltEvent } from "./federation-send-fixture.js";

type Results = { pdus: Record<string, { error?: string }> };
type Handler = (req: HttpRequest) => unknown;

describe.each(["12", "10"])("PUT /send/{txnId}: PDUs, room version %s", (roomVersion) => {
  let fx: SendFixture;
  // The remote's answers to Conflux's own requests, swapped per test.
  const answers: Record<string, Handler> = {};
  const answer =
    (name: string) =>
    async (req: HttpRequest): Promise<JsonValue> => {
      const h = answers[name];
      if (!h) throw new Error(`unexpected ${name} request`);
      return (await h(req)) as JsonValue;
    };
  const calls = (pathPart: string) => fx.remote.received.filter((r) => r.path.includes(pathPart));

  beforeAll(async () => {
    // One /send per origin at a time, so the overload test can be deterministic.
    fx = await SendFixture.start({ version: roomVersion, overrides: { limits: { federation_max_concurrent_per_origin: 1 } } });
    fx.remote.on("POST", "/_matrix/federation/v1/get_missing_events/:roomId", answer("gme"));
    fx.remote.on("GET", "/_matrix/federation/v1/state_ids/:roomId", answer("state_ids"));
    fx.remote.on("GET", "/_matrix/federation/v1/event/:eventId", answer("event"));
    fx.remote.on("GET", "/_matrix/federation/v1/event_auth/:roomId/:eventId", answer("event_auth"));
  });
  afterAll(async () => {
    await fx?.stop();
  });

  function byId(events: BuiltEvent[]): (id: string) => BuiltEvent | undefined {
    return (id) => events.find((e) => e.eventId === id);
  }

  it("accepts good PDUs: stored, in the timeline, {} results", async () => {
    const m1 = fx.message("hello");
    const m2 = fx.message("again", [m1.eventId]);
    const res = await fx.send([m1.pdu, m2.pdu]);
    expect(res.status).toBe(200);
    expect(res.json<Results>()).toEqual({ pdus: { [m1.eventId]: {}, [m2.eventId]: {} } });
    expect(fx.status(m1.eventId)).toBe("accepted");
    expect(fx.status(m2.eventId)).toBe("accepted");
    expect(fx.timeline().slice(-2)).toEqual([m1.eventId, m2.eventId]);
  });

  it("drops a PDU with a forged signature (error entry, not stored) without failing the others", async () => {
    const forged = fx.message("forged");
    const sigs = forged.pdu.signatures[fx.remote.serverName]!;
    const keyId = Object.keys(sigs)[0]!;
    const bad = structuredClone(forged.pdu) as Pdu;
    bad.signatures[fx.remote.serverName]![keyId] = sigs[keyId]!.startsWith("A") ? `B${sigs[keyId]!.slice(1)}` : `A${sigs[keyId]!.slice(1)}`;
    const good = fx.message("fine");
    const res = await fx.send([bad, good.pdu]);
    expect(res.status).toBe(200);
    const results = res.json<Results>().pdus;
    expect(results[forged.eventId]?.error).toMatch(/signature/);
    expect(results[good.eventId]).toEqual({});
    expect(fx.status(forged.eventId)).toBeUndefined();
    expect(fx.status(good.eventId)).toBe("accepted");
  });

  it("stores a PDU whose content does not match its hash in redacted form", async () => {
    const ev = fx.message("original text");
    const tampered = structuredClone(ev.pdu) as Pdu;
    tampered.content = { msgtype: "m.text", body: "tampered text" };
    const res = await fx.send([tampered]);
    expect(res.json<Results>().pdus[ev.eventId]).toEqual({});
    const stored = fx.app.storage.events.getEvent(ev.eventId)!;
    expect(stored.status).toBe("accepted");
    expect(stored.pdu.content).toEqual({});
  });

  it("rejects a PDU the auth rules do not allow (stored as rejected, error entry)", async () => {
    // bob has power 0; state_default is 50.
    const name = fx.build({ type: "m.room.name", stateKey: "", content: { name: "mine now" } });
    const res = await fx.send([name.pdu]);
    expect(res.status).toBe(200);
    expect(res.json<Results>().pdus[name.eventId]?.error).toMatch(/^rejected/);
    expect(fx.status(name.eventId)).toBe("rejected");
    expect(fx.timeline()).not.toContain(name.eventId);
  });

  it("sorts out-of-order PDUs of one transaction by their prev events", async () => {
    const a = fx.message("first");
    const b = fx.message("second", [a.eventId]);
    const c = fx.message("third", [b.eventId]);
    const res = await fx.send([c.pdu, a.pdu, b.pdu]);
    expect(res.json<Results>().pdus).toEqual({ [a.eventId]: {}, [b.eventId]: {}, [c.eventId]: {} });
    expect(fx.timeline().slice(-3)).toEqual([a.eventId, b.eventId, c.eventId]);
  });

  it("reports PDUs for unknown rooms and create events under their event IDs, storing nothing", async () => {
    const carried = { ...fx.message("elsewhere").pdu, room_id: "!nowhere:example.org", event_id: "$carried:example.org" };
    const create = fx.remote.sign(
      { type: "m.room.create", state_key: "", sender: fx.bob, content: { room_version: "12" }, origin_server_ts: Date.now(), depth: 1, prev_events: [], auth_events: [] },
      "12",
    );
    const res = await fx.send([carried, create.pdu]);
    expect(res.status).toBe(200);
    const results = res.json<Results>().pdus;
    expect(results["$carried:example.org"]?.error).toMatch(/unknown room/);
    expect(results[create.eventId]?.error).toMatch(/create event/);
    expect(fx.status(create.eventId)).toBeUndefined();
  });

  it("treats the room's own create event sent again as a duplicate (v12: it has no room_id)", async () => {
    const createId = fx.app.storage.rooms.getRoom(fx.roomId)!.createEventId!;
    const create = fx.app.storage.events.getPdu(createId)!;
    expect(create.room_id === undefined).toBe(fx.version.roomIdFromCreateEvent);
    const res = await fx.send([create]);
    expect(res.json<Results>().pdus).toEqual({ [createId]: {} });
  });

  it("does not take events for a room none of our users is in", async () => {
    const roomId = await fx.createRoom();
    await fx.app.rooms.send(roomId, { type: "m.room.member", stateKey: fx.alice, sender: fx.alice, content: { membership: "leave" } });
    const ev = fx.build({ roomId, type: "m.room.message", content: { msgtype: "m.text", body: "anyone?" } });
    const res = await fx.send([ev.pdu]);
    expect(res.json<Results>().pdus[ev.eventId]?.error).toMatch(/not in room/);
    expect(fx.status(ev.eventId)).toBeUndefined();
  });

  it("fills a missing prev event through get_missing_events", async () => {
    const m1 = fx.message("missed");
    const m2 = fx.message("follows the missed one", [m1.eventId]);
    let asked: JsonObject | undefined;
    answers.gme = (req) => {
      asked = req.body as JsonObject;
      return { events: [m1.pdu] };
    };
    const res = await fx.send([m2.pdu]);
    expect(res.json<Results>().pdus).toEqual({ [m2.eventId]: {} });
    expect(asked?.latest_events).toEqual([m2.eventId]);
    expect(Array.isArray(asked?.earliest_events) && (asked!.earliest_events as string[]).length).toBeGreaterThan(0);
    expect(asked?.limit).toBe(10);
    expect(fx.status(m1.eventId)).toBe("accepted");
    expect(fx.status(m2.eventId)).toBe("accepted");
    expect(fx.timeline().slice(-2)).toEqual([m1.eventId, m2.eventId]);
  });

  it("resolves a gap get_missing_events cannot bridge through /state_ids and /event", async () => {
    // The remote's branch: u0 (bob renames himself) → x0 → s1 → m2 → m3; we are sent m3 only,
    // and get_missing_events reaches back to s1, leaving x0 (and u0, in x0's state) unknown.
    const stateBefore = fx.currentStateIds();
    const u0 = fx.build({ type: "m.room.member", stateKey: fx.bob, content: { membership: "join", displayname: "Bob" } });
    const x0 = fx.message("x0", [u0.eventId]);
    const s1 = fx.message("s1", [x0.eventId]);
    const m2 = fx.message("m2", [s1.eventId]);
    const m3 = fx.message("m3", [m2.eventId]);
    const remoteEvents = byId([u0, x0, s1, m2, m3]);
    const before = fx.remote.received.length;
    answers.gme = () => ({ events: [m2.pdu, s1.pdu] });
    let stateAt: string | null = null;
    answers.state_ids = (req) => {
      stateAt = req.query.get("event_id");
      // The state before x0: what Conflux held before, with bob's member event replaced by u0.
      const ids = stateBefore.filter((id) => {
        const ev = fx.app.storage.events.getEvent(id)!.pdu;
        return !(ev.type === "m.room.member" && ev.state_key === fx.bob);
      });
      return { pdu_ids: [...ids, u0.eventId], auth_chain_ids: stateBefore };
    };
    answers.event = (req) => {
      const ev = remoteEvents(req.params.eventId!);
      if (!ev) throw new Error("unknown event");
      return { origin: fx.remote.serverName, origin_server_ts: Date.now(), pdus: [ev.pdu] };
    };
    const res = await fx.send([m3.pdu]);
    expect(res.json<Results>().pdus).toEqual({ [m3.eventId]: {} });

    expect(stateAt).toBe(x0.eventId);
    const mine = fx.remote.received.slice(before);
    expect(mine.filter((r) => r.path.includes("/state_ids/"))).toHaveLength(1);
    expect(mine.filter((r) => r.path.includes("/event/")).map((r) => decodeURIComponent(r.path.split("/").pop()!)).sort()).toEqual(
      [u0.eventId, x0.eventId].sort(),
    );
    // u0 is held only as state (an outlier); x0 is placed with that state but kept out of
    // the live stream (backfilled); the rest were received normally.
    expect(fx.status(u0.eventId)).toBe("outlier");
    const x0rec = fx.app.storage.events.getEvent(x0.eventId)!;
    expect(x0rec.status).toBe("accepted");
    expect(x0rec.streamOrdering).toBeLessThan(0);
    for (const ev of [s1, m2, m3]) expect(fx.status(ev.eventId)).toBe("accepted");
    const m3rec = fx.app.storage.events.getEvent(m3.eventId)!;
    const memberNid = fx.app.storage.state.get(m3rec.stateAfter!, `m.room.member\u0000${fx.bob}`);
    expect(fx.app.storage.events.eventIdOf(memberNid!)).toBe(u0.eventId);
  });

  it("fetches unknown auth events through /event_auth and stores them as outliers", async () => {
    // bob renames himself in an event we never see, then talks citing it as an auth event
    // (its prev event is one we hold, so only the auth event is missing).
    const rename = fx.build({ type: "m.room.member", stateKey: fx.bob, content: { membership: "join", displayname: "Robert" } });
    const ofType = (type: string) => fx.currentStateIds().filter((id) => fx.app.storage.events.getPdu(id)?.type === type);
    const authEvents = [...(fx.version.createInAuthEvents ? ofType("m.room.create") : []), ...ofType("m.room.power_levels"), rename.eventId];
    const msg = fx.build({ type: "m.room.message", content: { msgtype: "m.text", body: "as Robert" }, authEvents });
    let chainAsked = "";
    answers.event_auth = (req) => {
      chainAsked = req.params.eventId!;
      return { auth_chain: [rename.pdu] };
    };
    const res = await fx.send([msg.pdu]);
    expect(res.json<Results>().pdus).toEqual({ [msg.eventId]: {} });
    expect(chainAsked).toBe(msg.eventId);
    expect(fx.status(rename.eventId)).toBe("outlier");
    expect(fx.status(msg.eventId)).toBe("accepted");
    expect(fx.timeline()).not.toContain(rename.eventId);
  });

  it("reports an event it cannot place as unplaced when the remote cannot help", async () => {
    const lost = fx.message("lost");
    const orphan = fx.message("orphan", [lost.eventId]);
    answers.gme = () => ({ events: [] });
    answers.state_ids = () => {
      throw Errors.notFound("no such event");
    };
    answers.event = () => {
      throw Errors.notFound("no such event");
    };
    const res = await fx.send([orphan.pdu]);
    expect(res.status).toBe(200);
    expect(res.json<Results>().pdus[orphan.eventId]?.error).toMatch(/^unplaced/);
    expect(fx.status(orphan.eventId)).toBeUndefined();
  });

  it("rejects a transaction with more than 50 PDUs, or a malformed envelope, with 400 M_BAD_JSON", async () => {
    const many = Array.from({ length: 51 }, (_, i) => fx.message(`n${i}`));
    const res = await fx.send(many.map((e) => e.pdu));
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ errcode: "M_BAD_JSON" });
    expect(many.every((e) => fx.status(e.eventId) === undefined)).toBe(true);

    const edus = Array.from({ length: 101 }, () => ({ edu_type: "m.presence", content: { push: [] } }));
    const tooManyEdus = await fx.send([], edus);
    expect(tooManyEdus.status).toBe(400);
    expect(tooManyEdus.json()).toMatchObject({ errcode: "M_BAD_JSON" });

    const notObjects = await fx.remote.send(fx.server, "PUT", `/_matrix/federation/v1/send/${fx.nextTxnId()}`, {
      origin: fx.remote.serverName,
      origin_server_ts: Date.now(),
      pdus: ["not an event"],
    });
    expect(notObjects.status).toBe(400);
    const wrongOrigin = await fx.remote.send(fx.server, "PUT", `/_matrix/federation/v1/send/${fx.nextTxnId()}`, {
      origin: "someone.else",
      origin_server_ts: Date.now(),
      pdus: [],
    });
    expect(wrongOrigin.status).toBe(400);
    expect(wrongOrigin.json()).toMatchObject({ errcode: "M_BAD_JSON" });
  });

  it("answers a retried transaction with the recorded response without processing it again", async () => {
    const txnId = fx.nextTxnId();
    const first = fx.message("once");
    const res1 = await fx.send([first.pdu], [], txnId);
    expect(res1.json<Results>().pdus).toEqual({ [first.eventId]: {} });
    // A retry carrying something else shows that nothing in it is looked at again.
    const other = fx.message("never processed");
    const res2 = await fx.send([other.pdu], [], txnId);
    expect(res2.status).toBe(200);
    expect(res2.json()).toEqual(res1.json());
    expect(fx.status(other.eventId)).toBeUndefined();
  });

  it("shares one processing between concurrent deliveries of the same transaction", async () => {
    const service = new TransactionService(fx.app);
    const lost = fx.message("slow-lost");
    const ev = fx.message("slow", [lost.eventId]);
    const g = gate();
    let gmeCalls = 0;
    answers.gme = async () => {
      gmeCalls++;
      await g.promise;
      return { events: [lost.pdu] };
    };
    const body = { origin: fx.remote.serverName, origin_server_ts: Date.now(), pdus: [ev.pdu] };
    const txnId = fx.nextTxnId();
    const a = service.handle(fx.remote.serverName, txnId, body);
    const b = service.handle(fx.remote.serverName, txnId, body);
    await waitFor("get_missing_events", () => gmeCalls > 0);
    g.open();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra).toEqual({ pdus: { [ev.eventId]: {} } });
    expect(rb).toBe(ra);
    expect(gmeCalls).toBe(1);
  });

  it("limits concurrent transactions per origin with 429 M_LIMIT_EXCEEDED", async () => {
    const lost = fx.message("held-lost");
    const ev = fx.message("held", [lost.eventId]);
    const g = gate();
    const seen = calls("/get_missing_events/").length;
    answers.gme = async () => {
      await g.promise;
      return { events: [lost.pdu] };
    };
    const slow = fx.send([ev.pdu]);
    await waitFor("the first transaction to be in flight", () => calls("/get_missing_events/").length > seen);
    const second = await fx.send([fx.message("second").pdu]);
    expect(second.status).toBe(429);
    expect(second.json()).toMatchObject({ errcode: "M_LIMIT_EXCEEDED" });
    expect(typeof second.json<{ retry_after_ms: number }>().retry_after_ms).toBe("number");
    g.open();
    const first = await slow;
    expect(first.status).toBe(200);
    expect(first.json<Results>().pdus).toEqual({ [ev.eventId]: {} });
  });
});
