/**
 * Room aliases, the published room directory and the space hierarchy, through the client and
 * federation endpoints of a real Conflux, with a FakeRemote that answers Conflux's directory,
 * publicRooms and hierarchy queries.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { Errors } from "../../src/errors.js";
import { getRoomVersion } from "../../src/events/room-versions.js";
import type { JsonObject, JsonValue } from "../../src/events/types.js";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import { conflux, FakeRemote } from "../helpers/fake-remote.js";
import { request, type TestResponse } from "../helpers/http.js";
import type { TestServer } from "../helpers/server.js";

const V11 = getRoomVersion("11")!;
const CS = "/_matrix/client/v3";
const FED = "/_matrix/federation/v1";

interface User {
  readonly userId: string;
  readonly token: string;
}

interface Chunk {
  room_id: string;
  num_joined_members: number;
  name?: string;
  topic?: string;
  room_type?: string;
  join_rule?: string;
  world_readable: boolean;
  guest_can_join: boolean;
  canonical_alias?: string;
  avatar_url?: string;
}

interface PublicRooms {
  chunk: Chunk[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate?: number;
}

describe("room directory: aliases, published rooms, space hierarchy", () => {
  let remote: FakeRemote;
  let server: TestServer;
  let app: App;
  let alice: User;
  let carol: User;
  const remoteRoomId = "!remote-room:elsewhere.test";
  const remoteChildId = "!remote-child:elsewhere.test";

  /** A local user registered through the client API (m.login.dummy), with its access token. */
  async function user(localpart: string): Promise<User> {
    const body: JsonObject = { username: localpart, password: "correct horse battery staple" };
    let res = await client("POST", `${CS}/register`, undefined, body);
    if (res.status === 401) {
      const session = res.json<{ session: string }>().session;
      res = await client("POST", `${CS}/register`, undefined, { ...body, auth: { type: "m.login.dummy", session } });
    }
    expect(res.status).toBe(200);
    const out = res.json<{ user_id: string; access_token: string }>();
    expect(out.user_id).toBe(`@${localpart}:${server.serverName}`);
    return { userId: out.user_id, token: out.access_token };
  }

  function client(method: string, path: string, token?: string, body?: JsonValue): Promise<TestResponse> {
    return request(`${server.clientUrl}${path}`, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async function createRoom(opts: { joinRule?: string; hv?: string; name?: string; topic?: string; type?: string; members?: number; extra?: LocalEventSpec[] } = {}): Promise<string> {
    const a = alice.userId;
    const { roomId } = await app.rooms.createRoom({
      version: V11,
      creator: a,
      createContent: opts.type ? { type: opts.type } : {},
      initialEvents: (): LocalEventSpec[] => [
        { type: "m.room.member", stateKey: a, sender: a, content: { membership: "join" } },
        { type: "m.room.power_levels", stateKey: "", sender: a, content: { users: { [a]: 100 }, state_default: 50 } },
        // Public while the extra members join; the requested rule comes after them.
        { type: "m.room.join_rules", stateKey: "", sender: a, content: { join_rule: "public" } },
        { type: "m.room.history_visibility", stateKey: "", sender: a, content: { history_visibility: opts.hv ?? "shared" } },
        ...(opts.name ? [{ type: "m.room.name", stateKey: "", sender: a, content: { name: opts.name } }] : []),
        ...(opts.topic ? [{ type: "m.room.topic", stateKey: "", sender: a, content: { topic: opts.topic } }] : []),
        ...(opts.extra ?? []),
      ],
    });
    for (let i = 1; i < (opts.members ?? 1); i++) {
      const u = `@member${i}:${server.serverName}`;
      await app.rooms.send(roomId, { type: "m.room.member", stateKey: u, sender: u, content: { membership: "join" } });
    }
    if (opts.joinRule !== undefined && opts.joinRule !== "public") {
      await app.rooms.send(roomId, { type: "m.room.join_rules", stateKey: "", sender: a, content: { join_rule: opts.joinRule } });
    }
    return roomId;
  }

  beforeAll(async () => {
    remote = await FakeRemote.start();
    remote.on("PUT", `${FED}/send/:txnId`, () => ({ pdus: {} }));
    remote.on("GET", `${FED}/query/directory`, (req) => {
      if (req.query.get("room_alias") !== `#lobby:${remote.serverName}`) throw Errors.notFound("Room alias not found.");
      return { room_id: remoteRoomId, servers: [remote.serverName, "not a server name!"] };
    });
    remote.on("GET", `${FED}/publicRooms`, (req) => ({
      chunk: [{ room_id: remoteRoomId, num_joined_members: 7, world_readable: false, guest_can_join: false, name: `remote GET limit=${req.query.get("limit")}` }],
      total_room_count_estimate: 1,
    }));
    remote.on("POST", `${FED}/publicRooms`, (req) => ({
      chunk: [{ room_id: remoteRoomId, num_joined_members: 7, world_readable: false, guest_can_join: false, name: `remote POST ${JSON.stringify(req.body)}` }],
    }));
    remote.on("GET", `${FED}/hierarchy/:roomId`, (req) => {
      if (req.params.roomId !== remoteChildId) throw Errors.notFound("Room does not exist.");
      return {
        room: { room_id: remoteChildId, num_joined_members: 4, world_readable: false, guest_can_join: false, join_rule: "public", name: "Remote child", children_state: [] },
        children: [],
        inaccessible_children: [],
      };
    });
    server = await conflux([remote], { overrides: { registration: { open: true } } });
    app = server.server.app;
    alice = await user("alice");
    carol = await user("carol");
  });

  afterAll(async () => {
    await server?.stop();
    await remote?.stop();
  });

  describe("aliases", () => {
    let room: string;
    let alias: string;
    beforeAll(async () => {
      room = await createRoom();
      alias = `#general:${server.serverName}`;
    });
    const path = (a: string) => `${CS}/directory/room/${encodeURIComponent(a)}`;

    it("creates, resolves (client and federation) and refuses a second mapping with 409", async () => {
      const put = await client("PUT", path(alias), alice.token, { room_id: room });
      expect(put.status).toBe(200);
      expect(put.json()).toEqual({});
      const got = await client("GET", path(alias));
      expect(got.status).toBe(200);
      expect(got.json()).toEqual({ room_id: room, servers: [server.serverName] });
      const again = await client("PUT", path(alias), carol.token, { room_id: room });
      expect(again.status).toBe(409);
      expect(again.json()).toMatchObject({ errcode: "M_UNKNOWN" });

      const fed = await remote.send(server, "GET", `${FED}/query/directory?room_alias=${encodeURIComponent(alias)}`);
      expect(fed.status).toBe(200);
      expect(fed.json()).toEqual({ room_id: room, servers: [server.serverName] });
    });

    it("rejects invalid or foreign aliases, unknown rooms and bodies without room_id", async () => {
      const invalid = await client("PUT", path("no-sigil"), alice.token, { room_id: room });
      expect(invalid.status).toBe(400);
      expect(invalid.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
      expect((await client("PUT", path("#x:other.example"), alice.token, { room_id: room })).status).toBe(400);
      const unknown = await client("PUT", path(`#ghost:${server.serverName}`), alice.token, { room_id: "!unknown:nowhere.example" });
      expect(unknown.status).toBe(404);
      expect(unknown.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
      const noRoom = await client("PUT", path(`#empty:${server.serverName}`), alice.token, {});
      expect(noRoom.status).toBe(400);
      expect((await client("PUT", path(`#anon:${server.serverName}`), undefined, { room_id: room })).status).toBe(401);
      expect((await client("GET", path("no-sigil"))).status).toBe(400);
    });

    it("federation /query/directory: 404 for unknown or foreign aliases, 400 without room_alias", async () => {
      const q = (a: string) => remote.send(server, "GET", `${FED}/query/directory?room_alias=${encodeURIComponent(a)}`);
      expect((await q(`#nothing:${server.serverName}`)).status).toBe(404);
      expect((await q(`#lobby:${remote.serverName}`)).status).toBe(404);
      const missing = await remote.send(server, "GET", `${FED}/query/directory`);
      expect(missing.status).toBe(400);
      expect(missing.json()).toMatchObject({ errcode: "M_MISSING_PARAM" });
    });

    it("resolves another server's alias over federation; its 404 stays a 404; an unreachable server is 502", async () => {
      const got = await client("GET", path(`#lobby:${remote.serverName}`));
      expect(got.status).toBe(200);
      expect(got.json()).toEqual({ room_id: remoteRoomId, servers: [remote.serverName] });
      const missing = await client("GET", path(`#absent:${remote.serverName}`));
      expect(missing.status).toBe(404);
      expect(missing.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
      expect((await client("GET", path("#x:127.0.0.1:1"))).status).toBe(502);
    });

    it("lists a room's local aliases to its members (and to anyone when world_readable)", async () => {
      const list = await client("GET", `${CS}/rooms/${encodeURIComponent(room)}/aliases`, alice.token);
      expect(list.status).toBe(200);
      expect(list.json()).toEqual({ aliases: [alias] });
      const outsider = await client("GET", `${CS}/rooms/${encodeURIComponent(room)}/aliases`, carol.token);
      expect(outsider.status).toBe(403);
      expect(outsider.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
      const open = await createRoom({ hv: "world_readable" });
      const openList = await client("GET", `${CS}/rooms/${encodeURIComponent(open)}/aliases`, carol.token);
      expect(openList.status).toBe(200);
      expect(openList.json()).toEqual({ aliases: [] });
    });

    it("deletes: the creator or a user with power over the room's aliases may, others get 403", async () => {
      const denied = await client("DELETE", path(alias), carol.token);
      expect(denied.status).toBe(403);
      expect((await client("DELETE", path(alias), alice.token)).status).toBe(200);
      expect((await client("GET", path(alias))).status).toBe(404);
      const gone = await client("DELETE", path(alias), alice.token);
      expect(gone.status).toBe(404);
      expect(gone.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
      // Carol made this one, so she may remove it although she has no power in the room.
      const hers = `#carols:${server.serverName}`;
      expect((await client("PUT", path(hers), carol.token, { room_id: room })).status).toBe(200);
      expect((await client("DELETE", path(hers), carol.token)).status).toBe(200);
      expect((await client("GET", `${CS}/rooms/${encodeURIComponent(room)}/aliases`, alice.token)).json()).toEqual({ aliases: [] });
    });
  });

  describe("published room directory", () => {
    let big: string;
    let mid: string;
    let space: string;
    let readable: string;
    let hidden: string;
    let unpublished: string;

    beforeAll(async () => {
      big = await createRoom({
        name: "Cheese lovers",
        topic: "Tasty tasty cheese",
        members: 3,
        extra: [
          { type: "m.room.avatar", stateKey: "", sender: alice.userId, content: { url: "mxc://example.org/cheese" } },
          { type: "m.room.guest_access", stateKey: "", sender: alice.userId, content: { guest_access: "can_join" } },
          { type: "m.room.canonical_alias", stateKey: "", sender: alice.userId, content: { alias: `#cheese:${server.serverName}` } },
        ],
      });
      mid = await createRoom({ name: "Wine", members: 2, joinRule: "knock" });
      space = await createRoom({ name: "A space", type: "m.space" });
      readable = await createRoom({ name: "Readable", joinRule: "invite", hv: "world_readable" });
      hidden = await createRoom({ name: "Invite only", joinRule: "invite" });
      unpublished = await createRoom({ name: "Not listed" });
      for (const r of [big, mid, space, readable, hidden]) {
        const res = await client("PUT", `${CS}/directory/list/room/${encodeURIComponent(r)}`, alice.token, { visibility: "public" });
        expect(res.status).toBe(200);
      }
    });

    it("get/set a room's visibility: default private, only for joined users with power, 404 for unknown rooms", async () => {
      const at = (r: string) => `${CS}/directory/list/room/${encodeURIComponent(r)}`;
      expect((await client("GET", at(unpublished))).json()).toEqual({ visibility: "private" });
      expect((await client("GET", at(big))).json()).toEqual({ visibility: "public" });
      const denied = await client("PUT", at(unpublished), carol.token, { visibility: "public" });
      expect(denied.status).toBe(403);
      expect((await client("PUT", at(unpublished), alice.token, { visibility: "sideways" })).status).toBe(400);
      expect((await client("GET", at("!unknown:nowhere.example"))).status).toBe(404);
      expect((await client("PUT", at("!unknown:nowhere.example"), alice.token, {})).status).toBe(404);
      // Default visibility is public; then back to private.
      expect((await client("PUT", at(unpublished), alice.token, {})).status).toBe(200);
      expect((await client("GET", at(unpublished))).json()).toEqual({ visibility: "public" });
      expect((await client("PUT", at(unpublished), alice.token, { visibility: "private" })).status).toBe(200);
      expect((await client("GET", at(unpublished))).json()).toEqual({ visibility: "private" });
    });

    it("lists published joinable or world-readable rooms, largest first, with the chunk fields", async () => {
      const res = await client("GET", `${CS}/publicRooms`);
      expect(res.status).toBe(200);
      const body = res.json<PublicRooms>();
      const ids = body.chunk.map((c) => c.room_id);
      expect(ids).not.toContain(hidden);
      expect(ids).not.toContain(unpublished);
      expect(ids.slice(0, 2)).toEqual([big, mid]);
      expect(new Set(ids.slice(2))).toEqual(new Set([space, readable]));
      expect(body.total_room_count_estimate).toBe(4);
      expect(body.next_batch).toBeUndefined();
      expect(body.chunk[0]).toEqual({
        room_id: big,
        num_joined_members: 3,
        world_readable: false,
        guest_can_join: true,
        name: "Cheese lovers",
        topic: "Tasty tasty cheese",
        avatar_url: "mxc://example.org/cheese",
        canonical_alias: `#cheese:${server.serverName}`,
        join_rule: "public",
      });
      expect(body.chunk.find((c) => c.room_id === space)!.room_type).toBe("m.space");
      expect(body.chunk.find((c) => c.room_id === readable)).toMatchObject({ world_readable: true, join_rule: "invite" });
    });

    it("paginates with next_batch and prev_batch tokens", async () => {
      const first = (await client("GET", `${CS}/publicRooms?limit=2`)).json<PublicRooms>();
      expect(first.chunk.map((c) => c.room_id)).toEqual([big, mid]);
      expect(first.prev_batch).toBeUndefined();
      expect(first.next_batch).toBeDefined();
      const second = (await client("GET", `${CS}/publicRooms?limit=2&since=${encodeURIComponent(first.next_batch!)}`)).json<PublicRooms>();
      expect(second.chunk).toHaveLength(2);
      expect(second.chunk.map((c) => c.room_id)).not.toContain(big);
      expect(second.next_batch).toBeUndefined();
      expect(second.prev_batch).toBeDefined();
      const back = (await client("GET", `${CS}/publicRooms?limit=2&since=${encodeURIComponent(second.prev_batch!)}`)).json<PublicRooms>();
      expect(back.chunk.map((c) => c.room_id)).toEqual([big, mid]);
      const bad = await client("GET", `${CS}/publicRooms?since=garbage`);
      expect(bad.status).toBe(400);
      expect(bad.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
    });

    it("filters by search term and room type (POST, authenticated)", async () => {
      const post = (body: JsonObject) => client("POST", `${CS}/publicRooms`, carol.token, body);
      const cheese = (await post({ filter: { generic_search_term: "TASTY" } })).json<PublicRooms>();
      expect(cheese.chunk.map((c) => c.room_id)).toEqual([big]);
      expect(cheese.total_room_count_estimate).toBe(1);
      const byAlias = (await post({ filter: { generic_search_term: "#cheese" } })).json<PublicRooms>();
      expect(byAlias.chunk.map((c) => c.room_id)).toEqual([big]);
      const spaces = (await post({ filter: { room_types: ["m.space"] } })).json<PublicRooms>();
      expect(spaces.chunk.map((c) => c.room_id)).toEqual([space]);
      const plain = (await post({ filter: { room_types: [null] } })).json<PublicRooms>();
      expect(plain.chunk.map((c) => c.room_id)).not.toContain(space);
      expect(plain.chunk).toHaveLength(3);
      expect((await post({ third_party_instance_id: "irc" })).json<PublicRooms>().chunk).toEqual([]);
      expect((await post({ limit: "ten" })).status).toBe(400);
      expect((await client("POST", `${CS}/publicRooms`, undefined, {})).status).toBe(401);
    });

    it("serves the same directory over federation (GET and POST)", async () => {
      const get = await remote.send(server, "GET", `${FED}/publicRooms?limit=1`);
      expect(get.status).toBe(200);
      const body = get.json<PublicRooms>();
      expect(body.chunk.map((c) => c.room_id)).toEqual([big]);
      expect(body.next_batch).toBeDefined();
      const post = await remote.send(server, "POST", `${FED}/publicRooms`, { filter: { generic_search_term: "wine" } });
      expect(post.json<PublicRooms>().chunk.map((c) => c.room_id)).toEqual([mid]);
    });

    it("fetches another server's directory with ?server=", async () => {
      const get = await client("GET", `${CS}/publicRooms?server=${encodeURIComponent(remote.serverName)}&limit=5`);
      expect(get.status).toBe(200);
      expect(get.json<PublicRooms>().chunk[0]!.name).toBe("remote GET limit=5");
      const post = await client("POST", `${CS}/publicRooms?server=${encodeURIComponent(remote.serverName)}`, carol.token, { filter: { generic_search_term: "x" } });
      expect(post.status).toBe(200);
      expect(post.json<PublicRooms>().chunk[0]!.name).toBe(`remote POST ${JSON.stringify({ filter: { generic_search_term: "x" } })}`);
      expect((await client("GET", `${CS}/publicRooms?server=${encodeURIComponent("bad name!")}`)).status).toBe(400);
    });
  });

  describe("space hierarchy", () => {
    let spaceRoom: string;
    let child: string;
    let subSpace: string;
    let grandchild: string;
    let privateChild: string;

    beforeAll(async () => {
      const via = [server.serverName];
      child = await createRoom({ name: "Child" });
      grandchild = await createRoom({ name: "Grandchild" });
      privateChild = await createRoom({ name: "Private", joinRule: "invite" });
      subSpace = await createRoom({
        name: "Sub space",
        type: "m.space",
        extra: [{ type: "m.space.child", stateKey: grandchild, sender: alice.userId, content: { via } }],
      });
      spaceRoom = await createRoom({
        name: "Top space",
        type: "m.space",
        extra: [
          { type: "m.space.child", stateKey: child, sender: alice.userId, content: { via, order: "a", suggested: true } },
          { type: "m.space.child", stateKey: subSpace, sender: alice.userId, content: { via, order: "b" } },
          { type: "m.space.child", stateKey: privateChild, sender: alice.userId, content: { via, order: "c" } },
          { type: "m.space.child", stateKey: remoteChildId, sender: alice.userId, content: { via: [remote.serverName], order: "d" } },
          { type: "m.space.child", stateKey: "!removed:nowhere.example", sender: alice.userId, content: {} },
        ],
      });
    });

    it("federation: the space, its accessible children and the inaccessible ones", async () => {
      const res = await remote.send(server, "GET", `${FED}/hierarchy/${encodeURIComponent(spaceRoom)}`);
      expect(res.status).toBe(200);
      const body = res.json<{ room: Chunk & { children_state: { state_key: string; origin_server_ts: number; sender: string; type: string }[] }; children: (Chunk & { children_state: unknown[] })[]; inaccessible_children: string[] }>();
      expect(body.room).toMatchObject({ room_id: spaceRoom, room_type: "m.space", name: "Top space", room_version: "11" });
      expect(body.room.children_state.map((c) => c.state_key)).toEqual([child, subSpace, privateChild, remoteChildId]);
      expect(body.room.children_state[0]).toMatchObject({ type: "m.space.child", sender: alice.userId });
      expect(typeof body.room.children_state[0]!.origin_server_ts).toBe("number");
      expect(body.children.map((c) => c.room_id)).toEqual([child, subSpace]);
      expect(body.children[1]!.children_state).toHaveLength(1);
      expect(body.inaccessible_children).toEqual([privateChild]);

      const suggested = await remote.send(server, "GET", `${FED}/hierarchy/${encodeURIComponent(spaceRoom)}?suggested_only=true`);
      expect(suggested.json<{ children: Chunk[] }>().children.map((c) => c.room_id)).toEqual([child]);
    });

    it("federation: 404 for an unknown room or one the server cannot peek/join", async () => {
      expect((await remote.send(server, "GET", `${FED}/hierarchy/${encodeURIComponent("!nope:nowhere.example")}`)).status).toBe(404);
      const res = await remote.send(server, "GET", `${FED}/hierarchy/${encodeURIComponent(privateChild)}`);
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
    });

    it("client: depth-first, child order, remote children fetched from their via servers", async () => {
      const res = await client("GET", `/_matrix/client/v1/rooms/${encodeURIComponent(spaceRoom)}/hierarchy`, carol.token);
      expect(res.status).toBe(200);
      const body = res.json<{ rooms: (Chunk & { children_state: unknown[] })[]; next_batch?: string }>();
      expect(body.rooms.map((r) => r.room_id)).toEqual([spaceRoom, child, subSpace, grandchild, remoteChildId]);
      expect(body.rooms.find((r) => r.room_id === remoteChildId)).toMatchObject({ name: "Remote child", num_joined_members: 4 });
      expect(body.next_batch).toBeUndefined();
    });

    it("client: limit/from pagination, max_depth, suggested_only, and their errors", async () => {
      const base = `/_matrix/client/v1/rooms/${encodeURIComponent(spaceRoom)}/hierarchy`;
      const page1 = (await client("GET", `${base}?limit=2`, carol.token)).json<{ rooms: Chunk[]; next_batch?: string }>();
      expect(page1.rooms.map((r) => r.room_id)).toEqual([spaceRoom, child]);
      expect(page1.next_batch).toBeDefined();
      const changed = await client("GET", `${base}?limit=2&max_depth=1&from=${encodeURIComponent(page1.next_batch!)}`, carol.token);
      expect(changed.status).toBe(400);
      expect(changed.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });

      const page2 = (await client("GET", `${base}?limit=2&from=${encodeURIComponent(page1.next_batch!)}`, carol.token)).json<{ rooms: Chunk[]; next_batch?: string }>();
      expect(page2.rooms.map((r) => r.room_id)).toEqual([subSpace, grandchild]);
      // A retried page is the same page.
      const retried = (await client("GET", `${base}?limit=2&from=${encodeURIComponent(page1.next_batch!)}`, carol.token)).json<{ rooms: Chunk[] }>();
      expect(retried.rooms.map((r) => r.room_id)).toEqual([subSpace, grandchild]);
      const page3 = (await client("GET", `${base}?limit=2&from=${encodeURIComponent(page2.next_batch!)}`, carol.token)).json<{ rooms: Chunk[]; next_batch?: string }>();
      expect(page3.rooms.map((r) => r.room_id)).toEqual([remoteChildId]);
      expect(page3.next_batch).toBeUndefined();

      const shallow = (await client("GET", `${base}?max_depth=0`, carol.token)).json<{ rooms: Chunk[] }>();
      expect(shallow.rooms.map((r) => r.room_id)).toEqual([spaceRoom]);
      const suggested = (await client("GET", `${base}?suggested_only=true`, carol.token)).json<{ rooms: Chunk[] }>();
      expect(suggested.rooms.map((r) => r.room_id)).toEqual([spaceRoom, child]);
      expect((await client("GET", `${base}?limit=0`, carol.token)).status).toBe(400);
      expect((await client("GET", `${base}?from=unknown`, carol.token)).status).toBe(400);
    });

    it("client: 403 for a room the user cannot peek or join", async () => {
      const res = await client("GET", `/_matrix/client/v1/rooms/${encodeURIComponent(privateChild)}/hierarchy`, carol.token);
      expect(res.status).toBe(403);
      expect(res.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
      expect((await client("GET", `/_matrix/client/v1/rooms/${encodeURIComponent(privateChild)}/hierarchy`, alice.token)).status).toBe(200);
    });
  });
});
