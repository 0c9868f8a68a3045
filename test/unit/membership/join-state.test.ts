import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { computeEventId } from "../../../src/events/hashes.js";
import { referencedIds } from "../../../src/events/event.js";
import type { Pdu } from "../../../src/events/types.js";
import { joinStateAndAuthChain, sendJoinBody, serversInRoomBefore } from "../../../src/rooms/membership/join-state.js";
import { harness, LOCAL, RemoteServer, type Harness } from "../../helpers/rooms.js";
import { ALICE, newRoom, remoteMembership, setMembership } from "./room-fixture.js";

const REMOTE = "remote.test";
const user = (n: string) => `@${n}:${REMOTE}`;

describe("send_join state and auth chain", () => {
  let h: Harness;
  let remote: RemoteServer;
  beforeEach(() => {
    h = harness();
    remote = new RemoteServer(REMOTE, h);
  });
  afterEach(async () => {
    await h.close();
  });

  function answer(roomId: string, joinId: string, omitMembers: boolean) {
    const ctx = h.rooms.context(roomId)!;
    const rec = h.storage.events.getEvent(joinId)!;
    const { state, authChain } = joinStateAndAuthChain(ctx, rec, { omitMembers });
    const parse = (list: Buffer[]) => list.map((j) => JSON.parse(j.toString("utf8")) as Pdu);
    return { ctx, rec, state: parse(state), authChain: parse(authChain), version: ctx.version };
  }

  it("full state before the join; the auth chain is complete and ordered auth-events-first", async () => {
    const roomId = await newRoom(h, "10", { joinRule: "invite" });
    for (const n of ["a", "b"]) {
      await setMembership(h, roomId, user(n), "invite", ALICE);
      await remoteMembership(h, remote, roomId, user(n), "join");
    }
    await setMembership(h, roomId, user("j"), "invite", ALICE);
    const joinId = await remoteMembership(h, remote, roomId, user("j"), "join");
    const { state, authChain, version, rec } = answer(roomId, joinId, false);
    expect(state.map((p) => `${p.type}|${p.state_key}`).sort()).toEqual(
      ["m.room.create|", "m.room.power_levels|", "m.room.join_rules|", `m.room.member|${ALICE}`, `m.room.member|${user("a")}`, `m.room.member|${user("b")}`, `m.room.member|${user("j")}`].sort(),
    );
    // j's member event in `state` is the invite: the state BEFORE the join.
    expect(state.find((p) => p.state_key === user("j"))!.content.membership).toBe("invite");
    const ids = authChain.map((p) => computeEventId(p, version));
    const position = new Map(ids.map((id, i) => [id, i]));
    for (const p of [...state, rec.pdu, ...authChain]) {
      for (const a of referencedIds(p.auth_events)) expect(position.has(a)).toBe(true);
    }
    authChain.forEach((p, i) => {
      for (const a of referencedIds(p.auth_events)) expect(position.get(a)!).toBeLessThan(i);
    });
    // The invites that let a and b join are in the chain though no longer in the state.
    expect(authChain.filter((p) => p.type === "m.room.member" && p.content.membership === "invite").map((p) => p.state_key).sort()).toEqual(
      [user("a"), user("b"), user("j")].sort(),
    );
  });

  it("omit_members: heroes are the first five still-joined members by stream order; state that moved on is read from the map", async () => {
    const roomId = await newRoom(h, "12");
    for (const n of ["u1", "u2", "u3", "u4", "u5", "u6"]) await remoteMembership(h, remote, roomId, user(n), "join");
    await remoteMembership(h, remote, roomId, user("u1"), "leave");
    const joinId = await remoteMembership(h, remote, roomId, user("new"), "join");

    const fresh = answer(roomId, joinId, true);
    const members = (s: Pdu[]) => s.filter((p) => p.type === "m.room.member").map((p) => p.state_key);
    expect(members(fresh.state)).toEqual([ALICE, user("u2"), user("u3"), user("u4"), user("u5")]);
    const stateIds = new Set(fresh.state.map((p) => computeEventId(p, fresh.version)));
    expect(fresh.authChain.every((p) => !stateIds.has(computeEventId(p, fresh.version)))).toBe(true);

    // A name set after the join is not part of the state before it, and the walk path agrees.
    await h.rooms.send(roomId, { type: "m.room.name", stateKey: "", sender: ALICE, content: { name: "Later" } });
    const later = answer(roomId, joinId, true);
    expect(later.state.map((p) => p.type)).not.toContain("m.room.name");
    expect(later.state.map((p) => JSON.stringify(p)).sort()).toEqual(fresh.state.map((p) => JSON.stringify(p)).sort());
  });

  it("omit_members in a named room keeps no member events", async () => {
    const roomId = await newRoom(h, "11");
    await h.rooms.send(roomId, { type: "m.room.canonical_alias", stateKey: "", sender: ALICE, content: { alias: `#x:${LOCAL}` } });
    const joinId = await remoteMembership(h, remote, roomId, user("n"), "join");
    expect(answer(roomId, joinId, true).state.filter((p) => p.type === "m.room.member")).toEqual([]);
  });

  it("servers_in_room is the servers joined before the join", async () => {
    const roomId = await newRoom(h, "10");
    const first = await remoteMembership(h, remote, roomId, user("first"), "join");
    const ctx = h.rooms.context(roomId)!;
    const rec = (id: string) => h.storage.events.getEvent(id)!;
    expect(serversInRoomBefore(ctx, REMOTE, rec(first))).toEqual([LOCAL]);
    const second = await remoteMembership(h, remote, roomId, user("second"), "join");
    expect(serversInRoomBefore(ctx, REMOTE, rec(second)).sort()).toEqual([LOCAL, REMOTE].sort());
    // A join → join (profile change) of the only member: the server was there before.
    await remoteMembership(h, remote, roomId, user("second"), "leave");
    const again = remote.event(roomId, { type: "m.room.member", stateKey: user("first"), sender: user("first"), content: { membership: "join", displayname: "F" } });
    await h.rooms.actor(roomId).receive([{ event: again }]);
    expect(serversInRoomBefore(ctx, REMOTE, rec(again.eventId)).sort()).toEqual([LOCAL, REMOTE].sort());
  });

  it("the body splices the stored JSON into a valid document", () => {
    const b = (t: string) => Buffer.from(t);
    const body = sendJoinBody({ state: [b('{"a":1}')], authChain: [b('{"b":2}'), b('{"c":3}')], event: b('{"e":4}'), serversInRoom: ["x.org"] });
    expect(JSON.parse(body.toString())).toEqual({ auth_chain: [{ b: 2 }, { c: 3 }], state: [{ a: 1 }], event: { e: 4 }, members_omitted: true, servers_in_room: ["x.org"] });
    expect(JSON.parse(sendJoinBody({ state: [], authChain: [] }).toString())).toEqual({ auth_chain: [], state: [] });
    expect(JSON.parse(sendJoinBody({ state: [], authChain: [] }, { before: "[200,", after: "]" }).toString())).toEqual([200, { auth_chain: [], state: [] }]);
  });
});
