/**
 * Remote membership handshakes and backfill, with remote doubles as the residents: a room that
 * lives on the double (its own key, its own events), served through make_join/send_join,
 * make_knock/send_knock, make_leave/send_leave, /backfill, /state_ids, /event; and invites
 * from one of our rooms to the double.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { Errors, MatrixError } from "../../src/errors.js";
import { computeEventId, roomIdForCreateEvent } from "../../src/events/hashes.js";
import { getRoomVersion, type RoomVersion } from "../../src/events/room-versions.js";
import { addEventSignature } from "../../src/events/sign-event.js";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import type { HttpRequest } from "../../src/http/request.js";
import { backfillRoom } from "../../src/outbound/backfill.js";
import { inviteRemoteUser, joinRemoteRoom, knockRemoteRoom, leaveRemoteRoom } from "../../src/outbound/membership/index.js";
import { authEventTypes } from "../../src/rooms/auth/auth-events-selection.js";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import { membershipStore } from "../../src/rooms/membership/membership-store.js";
import { conflux, FakeRemote } from "../helpers/fake-remote.js";
import type { TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";


const slot = (type: string, sk: string): string => `${type}\u0000${sk}`;

/** A room that lives on a remote double: events built and signed with the double's key. */
class RemoteRoom {
  readonly pdus = new Map<string, Pdu>();
  readonly stateBefore = new Map<string, Map<string, string>>();
  state = new Map<string, string>();
  extremities: string[] = [];
  roomId = "";

  constructor(
    readonly remote: FakeRemote,
    readonly version: RoomVersion,
    joinRule: string,
  ) {
    const creator = remote.userId("creator");
    this.add("m.room.create", creator, this.version.createHasCreator ? { creator, room_version: version.id } : { room_version: version.id }, "");
    this.add("m.room.member", creator, { membership: "join" }, creator);
    this.add("m.room.power_levels", creator, { users: this.version.creatorsHaveInfinitePower ? {} : { [creator]: 100 } }, "");
    this.add("m.room.join_rules", creator, { join_rule: joinRule }, "");
    this.add("m.room.name", creator, { name: "Remote room" }, "");
  }

  get creator(): string {
    return this.remote.userId("creator");
  }

  authFor(type: string, sender: string, content: JsonObject, stateKey?: string): string[] {
    return authEventTypes({ type, stateKey, sender, content }, this.version)
      .map((s) => this.state.get(slot(s.type, s.stateKey)))
      .filter((id): id is string => id !== undefined);
  }

  nextDepth(): number {
    return Math.max(0, ...this.extremities.map((id) => this.pdus.get(id)!.depth)) + 1;
  }

  add(type: string, sender: string, content: JsonObject, stateKey?: string): string {
    const ev: JsonObject = {
      type,
      sender,
      content,
      origin_server_ts: Date.now(),
      depth: this.nextDepth(),
      prev_events: [...this.extremities],
      auth_events: this.authFor(type, sender, content, stateKey),
    };
    if (stateKey !== undefined) ev.state_key = stateKey;
    if (type !== "m.room.create") ev.room_id = this.roomId;
    else if (!this.version.roomIdFromCreateEvent) ev.room_id = `!r${Math.random().toString(36).slice(2)}:${this.remote.serverName}`;
    const { pdu, eventId } = this.remote.sign(ev, this.version);
    if (type === "m.room.create") this.roomId = roomIdForCreateEvent(pdu, this.version);
    this.record(pdu, eventId);
    return eventId;
  }

  /** An event someone else built and signed (our join, leave, knock). */
  accept(pdu: Pdu): string {
    const eventId = computeEventId(pdu, this.version);
    this.record(pdu, eventId);
    return eventId;
  }

  template(userId: string, membership: string): JsonObject {
    const content = { membership };
    return {
      room_id: this.roomId,
      sender: userId,
      state_key: userId,
      type: "m.room.member",
      content,
      origin: this.remote.serverName,
      origin_server_ts: Date.now(),
      depth: this.nextDepth(),
      prev_events: [...this.extremities],
      auth_events: this.authFor("m.room.member", userId, content, userId),
    };
  }

  authChain(ids: Iterable<string>): Pdu[] {
    const seen = new Set<string>();
    const todo = [...ids].flatMap((id) => (this.pdus.get(id)?.auth_events as string[]) ?? []);
    while (todo.length > 0) {
      const id = todo.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      todo.push(...((this.pdus.get(id)?.auth_events as string[]) ?? []));
    }
    return [...seen].map((id) => this.pdus.get(id)!);
  }

  /** /backfill: the given events and their ancestors, breadth first, up to `limit`. */
  backfill(from: string[], limit: number): Pdu[] {
    const out: string[] = [];
    const queue = [...from];
    while (queue.length > 0 && out.length < limit) {
      const id = queue.shift()!;
      if (out.includes(id) || !this.pdus.has(id)) continue;
      out.push(id);
      queue.push(...(this.pdus.get(id)!.prev_events as string[]));
    }
    return out.map((id) => this.pdus.get(id)!);
  }

  private record(pdu: Pdu, eventId: string): void {
    this.pdus.set(eventId, pdu);
    this.stateBefore.set(eventId, new Map(this.state));
    if (pdu.state_key !== undefined) this.state.set(slot(pdu.type, pdu.state_key), eventId);
    this.extremities = [eventId];
  }
}

/** Serve the resident side of the federation API for the double's rooms. */
function serveRooms(remote: FakeRemote, rooms: Map<string, RemoteRoom>, opts: { v1SendJoinOnly?: boolean } = {}): void {
  const room = (req: HttpRequest): RemoteRoom => {
    const r = rooms.get(req.params.roomId!);
    if (!r) throw Errors.notFound("Unknown room");
    return r;
  };
  for (const m of ["join", "knock", "leave"]) {
    remote.on("GET", `/_matrix/federation/v1/make_${m}/:roomId/:userId`, (req) => {
      const r = room(req);
      return { room_version: r.version.id, event: r.template(req.params.userId!, m) };
    });
  }
  const sendJoin = (req: HttpRequest): JsonObject => {
    const r = room(req);
    const stateIds = [...r.state.values()];
    const joinId = r.accept(req.body as Pdu);
    return {
      state: stateIds.map((id) => r.pdus.get(id)!) as unknown as JsonValue[],
      auth_chain: r.authChain([...stateIds, joinId]) as unknown as JsonValue[],
      servers_in_room: [remote.serverName],
    };
  };
  if (opts.v1SendJoinOnly) remote.on("PUT", "/_matrix/federation/v1/send_join/:roomId/:eventId", (req) => [200, sendJoin(req)]);
  else remote.on("PUT", "/_matrix/federation/v2/send_join/:roomId/:eventId", sendJoin);
  remote.on("PUT", "/_matrix/federation/v2/send_leave/:roomId/:eventId", (req) => {
    room(req).accept(req.body as Pdu);
    return {};
  });
  remote.on("PUT", "/_matrix/federation/v1/send_knock/:roomId/:eventId", (req) => {
    const r = room(req);
    r.accept(req.body as Pdu);
    const offered = ["m.room.create", "m.room.join_rules", "m.room.name"].map((t) => r.pdus.get(r.state.get(slot(t, ""))!)!);
    return { knock_room_state: [...offered, { type: "m.room.topic", state_key: "", sender: r.creator, content: { topic: "unsigned junk" } }] as unknown as JsonValue[] };
  });
  remote.on("GET", "/_matrix/federation/v1/backfill/:roomId", (req) => {
    const r = room(req);
    return { origin: remote.serverName, origin_server_ts: Date.now(), pdus: r.backfill(req.query.getAll("v"), Number(req.query.get("limit"))) as unknown as JsonValue[] };
  });
  remote.on("GET", "/_matrix/federation/v1/state_ids/:roomId", (req) => {
    const r = room(req);
    const ids = [...(r.stateBefore.get(req.query.get("event_id")!) ?? new Map<string, string>()).values()];
    return { pdu_ids: ids, auth_chain_ids: r.authChain(ids).map((p) => computeEventId(p, r.version)) };
  });
  remote.on("GET", "/_matrix/federation/v1/event/:eventId", (req) => {
    for (const r of rooms.values()) {
      const pdu = r.pdus.get(req.params.eventId!);
      if (pdu) return { origin: remote.serverName, origin_server_ts: Date.now(), pdus: [pdu as unknown as JsonValue] };
    }
    throw Errors.notFound("no such event");
  });
  remote.on("PUT", "/_matrix/federation/v1/send/:txnId", () => ({ pdus: {} }));
}

function received(remote: FakeRemote, method: string, prefix: string): { path: string; body: unknown }[] {
  return remote.received.filter((r) => r.method === method && r.path.startsWith(prefix));
}

describe("remote membership and backfill against remote residents", () => {
  let remote: FakeRemote;
  let oldRemote: FakeRemote;
  let bad: FakeRemote;
  let refusing: FakeRemote;
  let server: TestServer;
  let app: App;
  const rooms = new Map<string, RemoteRoom>();
  const oldRooms = new Map<string, RemoteRoom>();

  beforeAll(async () => {
    remote = await FakeRemote.start();
    oldRemote = await FakeRemote.start();
    bad = await FakeRemote.start();
    serveRooms(remote, rooms);
    serveRooms(oldRemote, oldRooms, { v1SendJoinOnly: true });
    // A resident that hands out templates for someone else: must be discarded.
    bad.on("GET", "/_matrix/federation/v1/make_join/:roomId/:userId", (req) => ({
      room_version: "10",
      event: { room_id: req.params.roomId!, sender: "@mallory:bad", state_key: "@mallory:bad", type: "m.room.member", content: { membership: "join" } },
    }));
    refusing = await FakeRemote.start();
    refusing.on("GET", "/_matrix/federation/v1/make_join/:roomId/:userId", () => {
      throw Errors.forbidden("You are not invited to this room");
    });
    server = await conflux([remote, oldRemote, bad, refusing]);
    app = server.server.app;
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([remote?.stop(), oldRemote?.stop(), bad?.stop(), refusing?.stop()]);
  });

  const local = (name: string): string => `@${name}:${app.serverName}`;

  describe.each(["10", "12"])("room version %s", (v) => {
    let r: RemoteRoom;
    let joinId: string;
    const msgs: string[] = [];

    beforeAll(() => {
      r = new RemoteRoom(remote, getRoomVersion(v)!, "public");
      for (let i = 1; i <= 6; i++) msgs.push(r.add("m.room.message", r.creator, { msgtype: "m.text", body: `old ${i}` }));
      rooms.set(r.roomId, r);
    });

    it("joins through the first resident whose template checks out, and the room is usable at once", async () => {
      const before = received(bad, "GET", "/_matrix/federation/v1/make_join").length;
      const res = await joinRemoteRoom(app, { roomId: r.roomId, servers: [bad.serverName, remote.serverName], userId: local("bob"), content: { displayname: "Bob" } });
      joinId = res.eventId;
      expect(received(bad, "GET", "/_matrix/federation/v1/make_join").length).toBe(before + 1);
      expect(received(bad, "PUT", "/_matrix/federation/v2/send_join")).toHaveLength(0);
      const make = received(remote, "GET", "/_matrix/federation/v1/make_join").at(-1)!;
      expect(make.path).toContain(encodeURIComponent(local("bob")));

      const sentJoin = received(remote, "PUT", "/_matrix/federation/v2/send_join").at(-1)!.body as Pdu;
      expect(sentJoin).toMatchObject({ sender: local("bob"), state_key: local("bob"), origin: app.serverName, content: { membership: "join", displayname: "Bob" } });
      expect(Object.keys(sentJoin.signatures)).toContain(app.serverName);

      const room = app.storage.rooms.getRoom(r.roomId)!;
      expect(room).toMatchObject({ version: v, isLocal: false });
      expect(app.storage.rooms.membership(room.roomNid, local("bob"))?.membership).toBe("join");
      expect(app.storage.rooms.membership(room.roomNid, r.creator)?.membership).toBe("join");
      expect(app.storage.rooms.joinedServers(room.roomNid).sort()).toEqual([app.serverName, remote.serverName].sort());
      expect(app.storage.events.eventIdsOf(app.storage.rooms.getHeads(room.roomNid).extremities)).toEqual([joinId]);
      const join = app.storage.events.getEvent(joinId)!;
      expect(join.status).toBe("accepted");
      expect(join.streamOrdering).toBeGreaterThan(0);
      const nameNid = app.storage.rooms.currentStateNid(room.roomNid, "m.room.name", "");
      expect(app.storage.events.eventIdOf(nameNid!)).toBe(r.state.get(slot("m.room.name", "")));

      // Usable: a local event builds on our join and goes to the resident.
      const sent = await app.rooms.send(r.roomId, { type: "m.room.message", sender: local("bob"), content: { msgtype: "m.text", body: "hello from conflux" } });
      expect(sent.pdu.prev_events).toEqual([joinId]);
      await waitFor("the message to reach the resident", () =>
        received(remote, "PUT", "/_matrix/federation/v1/send/").some((t) => JSON.stringify(t.body).includes("hello from conflux")),
      );
    });

    it("backfills history from before the join, across a gap, as backfilled events", async () => {
      const ctx = app.rooms.context(r.roomId)!;
      const join = app.storage.events.getEvent(joinId)!;
      const first = await backfillRoom(app, r.roomId, join.pdu.prev_events as string[], 3);
      expect(first.server).toBe(remote.serverName);
      // The oldest of the three had unknown prev events: its state came from /state_ids.
      expect(first.stored).toEqual([msgs[3], msgs[4], msgs[5]]);
      expect(received(remote, "GET", "/_matrix/federation/v1/state_ids").length).toBeGreaterThan(0);
      const second = await backfillRoom(app, r.roomId, [msgs[3]!], 20);
      expect(second.stored).toEqual(expect.arrayContaining([msgs[0], msgs[1], msgs[2]]));
      for (const id of msgs) {
        const rec = app.storage.events.getEvent(id)!;
        expect(rec.status).toBe("accepted");
        expect(rec.streamOrdering).toBeLessThan(0);
      }
      // Topological order now runs from the create event to our join.
      const topo = app.storage.rooms.topological(ctx.roomNid, { dir: "f", limit: 100 }).map((e) => app.storage.events.eventIdOf(e.nid));
      expect(topo.indexOf(msgs[0]!)).toBeLessThan(topo.indexOf(msgs[5]!));
      expect(topo.indexOf(msgs[5]!)).toBeLessThan(topo.indexOf(joinId));
      // Backfilled history does not move the room's head.
      expect(app.storage.events.eventIdsOf(app.storage.rooms.getHeads(ctx.roomNid).extremities)).not.toContain(msgs[5]);
    });
  });

  it("falls back to v1 send_join only when v2 is unrecognised", async () => {
    const r = new RemoteRoom(oldRemote, getRoomVersion("10")!, "public");
    oldRooms.set(r.roomId, r);
    const res = await joinRemoteRoom(app, { roomId: r.roomId, servers: [oldRemote.serverName], userId: local("carl") });
    expect(received(oldRemote, "PUT", "/_matrix/federation/v1/send_join")).toHaveLength(1);
    expect(app.storage.events.getEvent(res.eventId)?.status).toBe("accepted");
  });

  it("refuses a join the room state does not authorise; maps 403 and unreachable residents", async () => {
    // make_join and send_join succeed (the double checks nothing), but the state it returns
    // (an invite-only room) does not authorise our join: nothing is stored, 502 for the client.
    const r = new RemoteRoom(remote, getRoomVersion("10")!, "invite");
    rooms.set(r.roomId, r);
    const err = await joinRemoteRoom(app, { roomId: r.roomId, servers: [remote.serverName], userId: local("dan") }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, errcode: "M_UNKNOWN" });
    expect(app.storage.rooms.getRoom(r.roomId)).toBeUndefined();

    const unreachable = await joinRemoteRoom(app, { roomId: "!nowhere:127.0.0.1:1", servers: ["127.0.0.1:1"], userId: local("dan") }).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(MatrixError);
    expect([502, 504]).toContain((unreachable as MatrixError).status);

    // A refusal that speaks for the room passes through and ends the attempt.
    const e403 = await joinRemoteRoom(app, { roomId: r.roomId, servers: [refusing.serverName, remote.serverName], userId: local("erin") }).catch((e: unknown) => e);
    expect(e403).toMatchObject({ status: 403, errcode: "M_FORBIDDEN", message: "You are not invited to this room" });
    expect(received(remote, "GET", "/_matrix/federation/v1/make_join").some((q) => q.path.includes(encodeURIComponent(local("erin"))))).toBe(false);
  });

  it("knocks, keeping only verified knock_room_state as stripped state", async () => {
    const r = new RemoteRoom(remote, getRoomVersion("10")!, "knock");
    rooms.set(r.roomId, r);
    const res = await knockRemoteRoom(app, { roomId: r.roomId, servers: [remote.serverName], userId: local("kim"), reason: "let me in" });
    const sent = received(remote, "PUT", "/_matrix/federation/v1/send_knock").at(-1)!.body as Pdu;
    expect(sent).toMatchObject({ sender: local("kim"), content: { membership: "knock", reason: "let me in" } });
    expect(res.knockRoomState.map((s) => s.type)).toEqual(["m.room.create", "m.room.join_rules", "m.room.name"]);
    const stored = membershipStore(app.storage).knock(local("kim"), r.roomId)!;
    expect(stored.event.content).toMatchObject({ membership: "knock" });
    expect(stored.strippedState).toEqual(res.knockRoomState);
    expect(Object.keys(stored.strippedState[0]!).sort()).toEqual(["content", "sender", "state_key", "type"]);

    // Retracting the knock: a remote leave, and the pending knock is gone.
    await leaveRemoteRoom(app, { roomId: r.roomId, servers: [remote.serverName], userId: local("kim") });
    const leave = received(remote, "PUT", "/_matrix/federation/v2/send_leave").at(-1)!.body as Pdu;
    expect(leave).toMatchObject({ sender: local("kim"), state_key: local("kim"), content: { membership: "leave" } });
    expect(membershipStore(app.storage).knock(local("kim"), r.roomId)).toBeUndefined();
  });

  describe("inviting a user of another server", () => {
    const v2Invites: JsonObject[] = [];
    let refuse: MatrixError | undefined;

    beforeAll(() => {
      remote.on("PUT", "/_matrix/federation/v2/invite/:roomId/:eventId", (req) => {
        const body = req.body as { room_version: string; event: Pdu; invite_room_state: Pdu[] };
        v2Invites.push(req.body as JsonObject);
        if (refuse) throw refuse;
        return { event: addEventSignature(body.event, getRoomVersion(body.room_version)!, remote.serverName, remote.key) as unknown as JsonObject };
      });
      // The old double only speaks v1 invites (its v2 path is unknown: 404 M_UNRECOGNIZED).
      oldRemote.on("PUT", "/_matrix/federation/v1/invite/:roomId/:eventId", (req) => {
        const pdu = req.body as Pdu;
        return [200, { event: addEventSignature(pdu, getRoomVersion("1")!, oldRemote.serverName, oldRemote.key) as unknown as JsonObject }];
      });
    });

    async function ourRoom(version: string): Promise<string> {
      const alice = local("alice");
      const { roomId } = await app.rooms.createRoom({
        version: getRoomVersion(version)!,
        creator: alice,
        createContent: {},
        initialEvents: (): LocalEventSpec[] => [
          { type: "m.room.member", stateKey: alice, sender: alice, content: { membership: "join" } },
          { type: "m.room.power_levels", stateKey: "", sender: alice, content: { users: { [alice]: 100 } } },
          { type: "m.room.join_rules", stateKey: "", sender: alice, content: { join_rule: "invite" } },
        ],
      });
      return roomId;
    }

    it("sends v2 invites with the room state, stores the counter-signed event and fans it out", async () => {
      const roomId = await ourRoom("11");
      const carol = remote.userId("carol");
      const res = await inviteRemoteUser(app, { roomId, sender: local("alice"), invitee: carol });
      const body = v2Invites.at(-1) as { room_version: string; event: Pdu; invite_room_state: Pdu[] };
      expect(body.room_version).toBe("11");
      expect(body.invite_room_state.map((p) => p.type)).toEqual(["m.room.create", "m.room.join_rules"]);
      expect(body.invite_room_state[0]!.signatures).toBeDefined();
      const stored = app.storage.events.getEvent(res.eventId)!;
      expect(stored.status).toBe("accepted");
      expect(Object.keys(stored.pdu.signatures).sort()).toEqual([app.serverName, remote.serverName].sort());
      const room = app.storage.rooms.getRoom(roomId)!;
      expect(app.storage.rooms.membership(room.roomNid, carol)?.membership).toBe("invite");
      await waitFor("the invite to be sent in a transaction", () => received(remote, "PUT", "/_matrix/federation/v1/send/").some((t) => JSON.stringify(t.body).includes(res.eventId) || JSON.stringify(t.body).includes(carol)));
    });

    it("uses v1 for room versions 1 and 2 when the invitee's server does not know v2", async () => {
      const roomId = await ourRoom("1");
      const res = await inviteRemoteUser(app, { roomId, sender: local("alice"), invitee: oldRemote.userId("olga") });
      const v1 = received(oldRemote, "PUT", "/_matrix/federation/v1/invite").at(-1)!.body as Pdu;
      expect((v1.unsigned as { invite_room_state: Pdu[] }).invite_room_state[0]!.type).toBe("m.room.create");
      expect(app.storage.events.getEvent(res.eventId)?.status).toBe("accepted");
    });

    it("maps refusals: 403 passes through, 400 M_INVALID_PARAM becomes a 5xx", async () => {
      const roomId = await ourRoom("11");
      refuse = Errors.inviteBlocked();
      await expect(inviteRemoteUser(app, { roomId, sender: local("alice"), invitee: remote.userId("dora") })).rejects.toMatchObject({ status: 403, errcode: "M_INVITE_BLOCKED" });
      refuse = Errors.invalidParam("bad invite");
      const err = (await inviteRemoteUser(app, { roomId, sender: local("alice"), invitee: remote.userId("dora") }).catch((e: unknown) => e)) as MatrixError;
      expect(err.status).toBeGreaterThanOrEqual(500);
      refuse = undefined;
      const room = app.storage.rooms.getRoom(roomId)!;
      expect(app.storage.rooms.membership(room.roomNid, remote.userId("dora"))).toBeUndefined();
    });

    it("rejects a remote invite by leaving through the inviting server", async () => {
      const r = new RemoteRoom(remote, getRoomVersion("11")!, "invite");
      rooms.set(r.roomId, r);
      const invite = r.add("m.room.member", r.creator, { membership: "invite" }, local("ivy"));
      await membershipStore(app.storage).putInvite({ userId: local("ivy"), roomId: r.roomId, roomVersion: "11", event: r.pdus.get(invite)!, strippedState: [], origin: remote.serverName });
      const res = await leaveRemoteRoom(app, { roomId: r.roomId, servers: [remote.serverName], userId: local("ivy"), content: { reason: "no thanks" } });
      const leave = received(remote, "PUT", "/_matrix/federation/v2/send_leave").at(-1)!.body as Pdu;
      expect(leave).toMatchObject({ state_key: local("ivy"), content: { membership: "leave", reason: "no thanks" } });
      expect(computeEventId(leave, r.version)).toBe(res.eventId);
      expect(membershipStore(app.storage).invite(local("ivy"), r.roomId)).toBeUndefined();
      // We never joined: no room record was created for it.
      expect(app.storage.rooms.getRoom(r.roomId)).toBeUndefined();
    });
  });
});
