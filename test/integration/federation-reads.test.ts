/**
 * The federation read endpoints against a real Conflux: a FakeRemote whose user joins rooms of
 * a local user (its join built on Conflux's heads and signed with the remote's key), and a
 * second FakeRemote with no user in any room.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { toRoomEvent } from "../../src/events/event.js";
import { redact } from "../../src/events/redaction.js";
import { getRoomVersion } from "../../src/events/room-versions.js";
import type { JsonObject, Pdu } from "../../src/events/types.js";
import { authEventTypes } from "../../src/rooms/auth/auth-events-selection.js";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import { StateView } from "../../src/rooms/state-view.js";
import { conflux, FakeRemote } from "../helpers/fake-remote.js";
import type { TestServer } from "../helpers/server.js";

const V11 = getRoomVersion("11")!;
const FED = "/_matrix/federation/v1";

interface Txn {
  origin: string;
  origin_server_ts: number;
  pdus: Pdu[];
}

describe("federation reads: /event, /state, /state_ids, /event_auth, /backfill, /get_missing_events, /timestamp_to_event", () => {
  let remote: FakeRemote;
  let stranger: FakeRemote;
  let server: TestServer;
  let app: App;
  let alice: string;
  let bob: string;

  /** Room with history_visibility `joined`: m0 before Bob's join, m1..m5 after. */
  let room: string;
  let m: string[];
  let bobJoin: string;
  /** A second room, for "event of another room" checks. */
  let other: string;
  let otherMsg: string;

  async function createRoom(historyVisibility: string, extra: LocalEventSpec[] = []): Promise<string> {
    const { roomId } = await app.rooms.createRoom({
      version: V11,
      creator: alice,
      createContent: {},
      initialEvents: (): LocalEventSpec[] => [
        { type: "m.room.member", stateKey: alice, sender: alice, content: { membership: "join" } },
        { type: "m.room.power_levels", stateKey: "", sender: alice, content: { users: { [alice]: 100 }, state_default: 50 } },
        { type: "m.room.join_rules", stateKey: "", sender: alice, content: { join_rule: "public" } },
        { type: "m.room.history_visibility", stateKey: "", sender: alice, content: { history_visibility: historyVisibility } },
        ...extra,
      ],
    });
    return roomId;
  }

  async function say(roomId: string, body: string, ts?: number): Promise<string> {
    const spec: LocalEventSpec = { type: "m.room.message", sender: alice, content: { msgtype: "m.text", body }, ...(ts !== undefined ? { originServerTs: ts } : {}) };
    return (await app.rooms.send(roomId, spec)).eventId;
  }

  /** Bob's join, built by the remote on Conflux's heads, signed with its key, received. */
  async function joinBob(roomId: string): Promise<string> {
    const ctx = app.rooms.context(roomId)!;
    const heads = app.storage.rooms.getHeads(ctx.roomNid);
    const prev = app.storage.events.eventIdsOf(heads.extremities);
    const state = new StateView(app.storage, app.rooms.loader, heads.stateRoot);
    const content: JsonObject = { membership: "join" };
    const auth = authEventTypes({ type: "m.room.member", stateKey: bob, sender: bob, content }, V11)
      .map((s) => state.get(s.type, s.stateKey)?.eventId)
      .filter((id): id is string => id !== undefined);
    const depth = Math.max(...prev.map((id) => app.storage.events.getEvent(id)!.depth)) + 1;
    const { pdu, eventId } = remote.sign(
      { room_id: roomId, sender: bob, type: "m.room.member", state_key: bob, content, origin_server_ts: Date.now(), depth, prev_events: prev, auth_events: auth },
      V11,
    );
    const [outcome] = await app.rooms.actor(roomId).receive([{ event: toRoomEvent(pdu, V11, eventId, roomId) }]);
    expect(outcome!.status).toBe("accepted");
    return eventId;
  }

  function get(from: FakeRemote, uri: string) {
    return from.send(server, "GET", uri);
  }

  beforeAll(async () => {
    remote = await FakeRemote.start();
    stranger = await FakeRemote.start();
    // Conflux sends the room's new events to Bob's server; accept them quietly.
    for (const r of [remote, stranger]) r.on("PUT", "/_matrix/federation/v1/send/:txnId", () => ({ pdus: {} }));
    server = await conflux([remote, stranger]);
    app = server.server.app;
    alice = `@alice:${server.serverName}`;
    bob = remote.userId("bob");

    room = await createRoom("joined");
    m = [await say(room, "m0 before bob")];
    bobJoin = await joinBob(room);
    for (let i = 1; i <= 5; i++) m.push(await say(room, `m${i}`));

    other = await createRoom("shared");
    otherMsg = await say(other, "elsewhere");
    await joinBob(other);
  });

  afterAll(async () => {
    await server?.stop();
    await remote?.stop();
    await stranger?.stop();
  });

  describe("GET /event/{eventId}", () => {
    it("returns a single-PDU transaction holding the stored JSON byte for byte", async () => {
      const res = await get(remote, `${FED}/event/${encodeURIComponent(m[1]!)}`);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toContain("application/json");
      const txn = res.json<Txn>();
      expect(txn.origin).toBe(server.serverName);
      expect(typeof txn.origin_server_ts).toBe("number");
      expect(txn.pdus).toHaveLength(1);
      expect(res.text).toContain(app.storage.events.getEvent(m[1]!)!.pduJson);
    });

    it("redacts an event the server may not see (history_visibility joined, before its first join)", async () => {
      const res = await get(remote, `${FED}/event/${encodeURIComponent(m[0]!)}`);
      expect(res.status).toBe(200);
      const pdu = res.json<Txn>().pdus[0]!;
      expect(pdu.content).toEqual({});
      expect(pdu).toEqual(redact(app.storage.events.getEvent(m[0]!)!.pdu, V11));
    });

    it("404 for an unknown event, 403 for a server not in the room", async () => {
      const unknown = await get(remote, `${FED}/event/${encodeURIComponent("$nope")}`);
      expect(unknown.status).toBe(404);
      expect(unknown.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
      const outsider = await get(stranger, `${FED}/event/${encodeURIComponent(m[1]!)}`);
      expect(outsider.status).toBe(403);
      expect(outsider.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
    });
  });

  describe("GET /state_ids and /state", () => {
    it("returns the state before the event and its auth chain", async () => {
      const res = await get(remote, `${FED}/state_ids/${encodeURIComponent(room)}?event_id=${encodeURIComponent(m[2]!)}`);
      expect(res.status).toBe(200);
      const body = res.json<{ pdu_ids: string[]; auth_chain_ids: string[] }>();
      const rec = app.storage.events.getEvent(m[2]!)!;
      const expected = [...app.storage.state.entries(rec.stateBefore!)].map(([, nid]) => app.storage.events.eventIdOf(nid));
      expect(new Set(body.pdu_ids)).toEqual(new Set(expected));
      expect(body.pdu_ids).toContain(bobJoin);
      const create = app.storage.rooms.getRoom(room)!.createEventId!;
      expect(body.auth_chain_ids).toContain(create);
      expect(body.auth_chain_ids).not.toContain(m[2]);
    });

    it("the state before a state event does not contain it", async () => {
      const res = await get(remote, `${FED}/state_ids/${encodeURIComponent(room)}?event_id=${encodeURIComponent(bobJoin)}`);
      expect(res.status).toBe(200);
      expect(res.json<{ pdu_ids: string[] }>().pdu_ids).not.toContain(bobJoin);
    });

    it("/state returns the same events as PDUs, spliced from storage", async () => {
      const ids = await get(remote, `${FED}/state_ids/${encodeURIComponent(room)}?event_id=${encodeURIComponent(m[3]!)}`);
      const full = await get(remote, `${FED}/state/${encodeURIComponent(room)}?event_id=${encodeURIComponent(m[3]!)}`);
      expect(full.status).toBe(200);
      const idsBody = ids.json<{ pdu_ids: string[]; auth_chain_ids: string[] }>();
      const body = full.json<{ pdus: Pdu[]; auth_chain: Pdu[] }>();
      expect(body.pdus).toHaveLength(idsBody.pdu_ids.length);
      expect(body.auth_chain).toHaveLength(idsBody.auth_chain_ids.length);
      for (const id of idsBody.pdu_ids) expect(full.text).toContain(app.storage.events.getEvent(id)!.pduJson);
    });

    it("400 without event_id, 404 for an unknown event, another room's event or an unknown room, 403 for an outsider", async () => {
      for (const path of ["state_ids", "state"]) {
        const base = `${FED}/${path}/${encodeURIComponent(room)}`;
        const missing = await get(remote, base);
        expect(missing.status).toBe(400);
        expect(missing.json()).toMatchObject({ errcode: "M_MISSING_PARAM" });
        expect((await get(remote, `${base}?event_id=${encodeURIComponent("$unknown")}`)).status).toBe(404);
        expect((await get(remote, `${base}?event_id=${encodeURIComponent(otherMsg)}`)).status).toBe(404);
        expect((await get(remote, `${FED}/${path}/${encodeURIComponent("!nope:nowhere")}?event_id=${encodeURIComponent(m[1]!)}`)).status).toBe(404);
        const outsider = await get(stranger, `${base}?event_id=${encodeURIComponent(m[1]!)}`);
        expect(outsider.status).toBe(403);
        expect(outsider.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
      }
    });
  });

  describe("GET /event_auth/{roomId}/{eventId}", () => {
    it("returns the auth chain of the event, auth events first, without the event", async () => {
      const res = await get(remote, `${FED}/event_auth/${encodeURIComponent(room)}/${encodeURIComponent(bobJoin)}`);
      expect(res.status).toBe(200);
      const chain = res.json<{ auth_chain: Pdu[] }>().auth_chain;
      const types = chain.map((p) => p.type);
      expect(types[0]).toBe("m.room.create");
      expect(types).toEqual(expect.arrayContaining(["m.room.create", "m.room.power_levels", "m.room.join_rules", "m.room.member"]));
      expect(chain.some((p) => p.state_key === bob)).toBe(false);
      expect((await get(remote, `${FED}/event_auth/${encodeURIComponent(room)}/${encodeURIComponent("$unknown")}`)).status).toBe(404);
      expect((await get(stranger, `${FED}/event_auth/${encodeURIComponent(room)}/${encodeURIComponent(bobJoin)}`)).status).toBe(403);
    });
  });

  describe("GET /backfill/{roomId}", () => {
    const backfill = (from: FakeRemote, v: string[], limit?: number) =>
      get(from, `${FED}/backfill/${encodeURIComponent(room)}?${[...v.map((id) => `v=${encodeURIComponent(id)}`), ...(limit !== undefined ? [`limit=${limit}`] : [])].join("&")}`);

    it("returns the given events and their ancestors, deepest first, up to the limit", async () => {
      const res = await backfill(remote, [m[5]!], 3);
      expect(res.status).toBe(200);
      const txn = res.json<Txn>();
      expect(txn.origin).toBe(server.serverName);
      expect(txn.pdus.map((p) => (p.content as { body?: string }).body)).toEqual(["m5", "m4", "m3"]);
    });

    it("walks back to the create event, redacting what the server may not see", async () => {
      const res = await backfill(remote, [m[2]!], 100);
      const pdus = res.json<Txn>().pdus;
      expect(pdus[pdus.length - 1]!.type).toBe("m.room.create");
      const depths = pdus.map((p) => p.depth);
      expect(depths).toEqual([...depths].sort((a, b) => b - a));
      const before = pdus.find((p) => p.type === "m.room.message" && p.depth === app.storage.events.getEvent(m[0]!)!.depth)!;
      expect(before.content).toEqual({});
      expect(pdus.filter((p) => (p.content as { body?: string }).body === "m1")).toHaveLength(1);
    });

    it("several v: each once; unknown ones ignored; limit 0 is empty", async () => {
      const res = await backfill(remote, [m[4]!, m[3]!, "$unknown"], 3);
      expect(res.json<Txn>().pdus.map((p) => (p.content as { body?: string }).body)).toEqual(["m4", "m3", "m2"]);
      expect((await backfill(remote, [m[4]!], 0)).json<Txn>().pdus).toEqual([]);
    });

    it("400 without v or limit, 403 for an outsider", async () => {
      const noV = await get(remote, `${FED}/backfill/${encodeURIComponent(room)}?limit=5`);
      expect(noV.status).toBe(400);
      expect(noV.json()).toMatchObject({ errcode: "M_MISSING_PARAM" });
      expect((await backfill(remote, [m[4]!])).status).toBe(400);
      expect((await backfill(remote, [m[4]!], -1)).status).toBe(400);
      expect((await backfill(stranger, [m[4]!], 5)).status).toBe(403);
    });
  });

  describe("POST /get_missing_events/{roomId}", () => {
    const gme = (from: FakeRemote, body: JsonObject) => from.send(server, "POST", `${FED}/get_missing_events/${encodeURIComponent(room)}`, body);
    const bodies = (events: Pdu[]) => events.map((p) => (p.content as { body?: string }).body);

    it("walks prev_events from latest_events back to earliest_events, oldest first", async () => {
      const res = await gme(remote, { earliest_events: [m[1]!], latest_events: [m[5]!] });
      expect(res.status).toBe(200);
      expect(bodies(res.json<{ events: Pdu[] }>().events)).toEqual(["m2", "m3", "m4"]);
    });

    it("stops at the limit (the events nearest latest_events) and at min_depth", async () => {
      const limited = await gme(remote, { earliest_events: [m[1]!], latest_events: [m[5]!], limit: 2 });
      expect(bodies(limited.json<{ events: Pdu[] }>().events)).toEqual(["m3", "m4"]);
      const minDepth = app.storage.events.getEvent(m[3]!)!.depth;
      const shallow = await gme(remote, { earliest_events: [], latest_events: [m[5]!], min_depth: minDepth });
      expect(bodies(shallow.json<{ events: Pdu[] }>().events)).toEqual(["m3", "m4"]);
    });

    it("defaults to 10 events", async () => {
      const res = await gme(remote, { earliest_events: [], latest_events: [m[5]!] });
      expect(res.json<{ events: Pdu[] }>().events).toHaveLength(10);
    });

    it("400 on a malformed body, 403 for an outsider", async () => {
      const bad = await gme(remote, { latest_events: [m[5]!] });
      expect(bad.status).toBe(400);
      expect(bad.json()).toMatchObject({ errcode: "M_BAD_JSON" });
      expect((await gme(stranger, { earliest_events: [], latest_events: [m[5]!] })).status).toBe(403);
    });
  });

  describe("GET /timestamp_to_event/{roomId}", () => {
    let tsRoom: string;
    let t: string[];
    beforeAll(async () => {
      tsRoom = await createRoom("shared");
      await joinBob(tsRoom);
      t = [await say(tsRoom, "t1", 1_000_000), await say(tsRoom, "t2", 2_000_000), await say(tsRoom, "t3", 3_000_000)];
    });
    const ask = (from: FakeRemote, query: string) => get(from, `${FED}/timestamp_to_event/${encodeURIComponent(tsRoom)}?${query}`);

    it("finds the closest event in either direction", async () => {
      const f = await ask(remote, "ts=1500000&dir=f");
      expect(f.status).toBe(200);
      expect(f.json()).toEqual({ event_id: t[1], origin_server_ts: 2_000_000 });
      expect((await ask(remote, "ts=2500000&dir=b")).json()).toEqual({ event_id: t[1], origin_server_ts: 2_000_000 });
      expect((await ask(remote, "ts=2000000&dir=b")).json()).toEqual({ event_id: t[1], origin_server_ts: 2_000_000 });
      expect((await ask(remote, "ts=1&dir=f")).json<{ event_id: string }>().event_id).toBe(t[0]);
    });

    it("404 when nothing lies in that direction; 400 on bad parameters; 403 for an outsider", async () => {
      const none = await ask(remote, "ts=1&dir=b");
      expect(none.status).toBe(404);
      expect(none.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
      expect((await ask(remote, `ts=${Date.now() + 10 ** 10}&dir=f`)).status).toBe(404);
      expect((await ask(remote, "ts=1&dir=x")).status).toBe(400);
      expect((await ask(remote, "dir=f")).status).toBe(400);
      expect((await ask(remote, "ts=abc&dir=f")).status).toBe(400);
      expect((await ask(stranger, "ts=1&dir=f")).status).toBe(403);
    });
  });

  describe("history visibility", () => {
    it("world_readable history is served in full to a server that joined later", async () => {
      const open = await createRoom("world_readable");
      const early = await say(open, "for everyone");
      await joinBob(open);
      const res = await get(remote, `${FED}/event/${encodeURIComponent(early)}`);
      expect(res.json<Txn>().pdus[0]!.content).toEqual({ msgtype: "m.text", body: "for everyone" });
    });

    it("shared history is served in full once the server is in the room", async () => {
      const res = await get(remote, `${FED}/event/${encodeURIComponent(otherMsg)}`);
      expect(res.json<Txn>().pdus[0]!.content).toEqual({ msgtype: "m.text", body: "elsewhere" });
    });
  });

  describe("server ACLs", () => {
    it("403 on every read endpoint for a server the room's ACL denies", async () => {
      const acl = await createRoom("shared");
      const msg = await say(acl, "hello");
      await joinBob(acl);
      // Every FakeRemote's host is 127.0.0.1 (ACLs ignore the port).
      await app.rooms.send(acl, { type: "m.room.server_acl", stateKey: "", sender: alice, content: { allow: ["*"], deny: ["127.0.0.1"] } });
      const r = encodeURIComponent(acl);
      const e = encodeURIComponent(msg);
      const responses = await Promise.all([
        get(remote, `${FED}/event/${e}`),
        get(remote, `${FED}/state/${r}?event_id=${e}`),
        get(remote, `${FED}/state_ids/${r}?event_id=${e}`),
        get(remote, `${FED}/event_auth/${r}/${e}`),
        get(remote, `${FED}/backfill/${r}?v=${e}&limit=5`),
        remote.send(server, "POST", `${FED}/get_missing_events/${r}`, { earliest_events: [], latest_events: [msg] }),
        get(remote, `${FED}/timestamp_to_event/${r}?ts=1&dir=f`),
      ]);
      for (const res of responses) {
        expect(res.status).toBe(403);
        expect(res.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
      }
      // The room the ACL does not cover still answers.
      expect((await get(remote, `${FED}/event/${encodeURIComponent(m[1]!)}`)).status).toBe(200);
    });
  });
});
