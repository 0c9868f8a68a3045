/**
 * `/invite` v2 and v1 with Conflux as the invitee's server, the pending-invite record /sync will
 * read, invite blocking, the offered room state rules of Matrix 1.16, invites into rooms
 * Conflux is in, and `exchange_third_party_invite` with Conflux as the resident.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteEventBuilder, randomKey } from "../../bench/lib/remote-events.js";
import { accountsOf } from "../../src/accounts/of-app.js";
import { encodeBase64 } from "../../src/events/base64.js";
import { eventReferences } from "../../src/events/event.js";
import { referenceHash } from "../../src/events/hashes.js";
import type { RoomVersion } from "../../src/events/room-versions.js";
import { addEventSignature } from "../../src/events/sign-event.js";
import { signJson } from "../../src/events/signing-json.js";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import { invitePermissions } from "../../src/rooms/membership/invite-permission.js";
import { membershipStore } from "../../src/rooms/membership/membership-store.js";
import type { FakeRemote } from "../helpers/fake-remote.js";
import { waitFor } from "../helpers/wait.js";
import { createRoom, enc, expectError, expectVerified, joinRoom, membershipOf, startEnv, versionOf, type Env } from "./federation-membership-fixture.js";

let env: Env;
let bob: string;
beforeAll(async () => {
  env = await startEnv();
  bob = await localUser("bob");
});
afterAll(async () => {
  await env?.stop();
});

/** A registered user of the Conflux under test (invites for anyone else are refused). */
async function localUser(localpart: string): Promise<string> {
  return (await accountsOf(env.app).register({ userId: `@${localpart}:${env.server.serverName}`, password: null })).userId;
}

/** A room that lives on the remote only: its state events and an invite builder. */
interface RemoteRoom {
  roomId: string;
  version: RoomVersion;
  create: Pdu;
  state: Pdu[];
  invite(target: string, tweak?: (ev: JsonObject) => void): { pdu: Pdu; eventId: string };
}

function remoteRoom(remote: FakeRemote, versionId: string): RemoteRoom {
  const version = versionOf(versionId);
  const carol = remote.userId("carol");
  const byId = new Map<string, Pdu>();
  const refs = (ids: string[]) => eventReferences(ids, version, (id) => referenceHash(byId.get(id)!, version)) as JsonValue;
  let roomId = version.roomIdFromCreateEvent ? "" : `!${crypto.randomBytes(9).toString("base64url")}:${remote.serverName}`;
  let depth = 0;
  let prev: string[] = [];
  const build = (type: string, stateKey: string, content: JsonObject, auth: string[], tweak?: (ev: JsonObject) => void) => {
    const ev: JsonObject = {
      type,
      state_key: stateKey,
      sender: carol,
      content,
      origin_server_ts: Date.now(),
      depth: ++depth,
      prev_events: refs(prev),
      auth_events: refs(auth),
    };
    if (roomId !== "") ev.room_id = roomId;
    if (version.eventIdFormat === "carried") ev.event_id = `$${crypto.randomBytes(9).toString("base64url")}:${remote.serverName}`;
    tweak?.(ev);
    const { pdu, eventId } = remote.sign(ev, version);
    byId.set(eventId, pdu);
    return { pdu, eventId };
  };
  const createContent: JsonObject = { room_version: versionId };
  if (version.createHasCreator) createContent.creator = carol;
  const create = build("m.room.create", "", createContent, []);
  if (roomId === "") roomId = `!${create.eventId.slice(1)}`;
  const withCreate = (ids: string[]) => (version.createInAuthEvents ? [create.eventId, ...ids] : ids);
  prev = [create.eventId];
  const member = build("m.room.member", carol, { membership: "join" }, withCreate([]));
  prev = [member.eventId];
  const pl = build("m.room.power_levels", "", { users: version.creatorsHaveInfinitePower ? {} : { [carol]: 100 } }, withCreate([member.eventId]));
  prev = [pl.eventId];
  const jr = build("m.room.join_rules", "", { join_rule: "invite" }, withCreate([pl.eventId, member.eventId]));
  prev = [jr.eventId];
  const name = build("m.room.name", "", { name: "Remote room" }, withCreate([pl.eventId, member.eventId]));
  prev = [name.eventId];
  return {
    roomId,
    version,
    create: create.pdu,
    state: [create.pdu, jr.pdu, name.pdu],
    invite: (target, tweak) => build("m.room.member", target, { membership: "invite" }, withCreate([pl.eventId, member.eventId, jr.eventId]), tweak),
  };
}

async function inviteV2(roomId: string, eventId: string, body: unknown) {
  return env.remote.send(env.server, "PUT", `/_matrix/federation/v2/invite/${enc(roomId)}/${enc(eventId)}`, body as JsonValue);
}

function expectOnlyOurSignatureAdded(sent: Pdu, returned: Pdu): void {
  const { signatures: s1, ...a } = sent;
  const { signatures: s2, ...b } = returned;
  expect(b).toEqual(a);
  expect(s2[env.remote.serverName]).toEqual(s1[env.remote.serverName]);
  expect(Object.keys(s2).sort()).toEqual([env.remote.serverName, env.server.serverName].sort());
}

describe.each(["7", "10", "11", "12"])("invite v2, room version %s", (v) => {
  let room: RemoteRoom;
  beforeAll(() => {
    room = remoteRoom(env.remote, v);
  });

  it("signs the invite (nothing else touched) and records it with stripped state", async () => {
    const { pdu, eventId } = room.invite(bob);
    const res = await inviteV2(room.roomId, eventId, { room_version: v, event: pdu, invite_room_state: room.state });
    expect(res.status, res.text).toBe(200);
    const signed = res.json<{ event: Pdu }>().event;
    expectOnlyOurSignatureAdded(pdu, signed);
    expectVerified(env, [signed], room.version);
    const pending = membershipStore(env.app.storage).invite(bob, room.roomId)!;
    expect(pending).toMatchObject({ kind: "invite", roomVersion: v, origin: env.remote.serverName });
    expect(pending.event).toEqual(signed);
    expect(pending.strippedState).toEqual([
      { type: "m.room.create", state_key: "", sender: env.remote.userId("carol"), content: room.create.content },
      { type: "m.room.join_rules", state_key: "", sender: env.remote.userId("carol"), content: { join_rule: "invite" } },
      { type: "m.room.name", state_key: "", sender: env.remote.userId("carol"), content: { name: "Remote room" } },
    ]);
  });

  it("room version unsupported → 400 M_INCOMPATIBLE_ROOM_VERSION with room_version; missing → 400 M_MISSING_PARAM", async () => {
    const { pdu, eventId } = room.invite(bob);
    const res = await inviteV2(room.roomId, eventId, { room_version: "999", event: pdu, invite_room_state: room.state });
    expectError(res, 400, "M_INCOMPATIBLE_ROOM_VERSION");
    expect(res.json<{ room_version: string }>().room_version).toBe("999");
    expectError(await inviteV2(room.roomId, eventId, { event: pdu }), 400, "M_MISSING_PARAM");
    expectError(await inviteV2(room.roomId, eventId, { room_version: 12, event: pdu }), 400, "M_BAD_JSON");
  });

  it("an invite we refuse: a user of another server, or none of ours → 403 M_FORBIDDEN, nothing recorded", async () => {
    const targets: [string, RegExp][] = [
      ["@bob:elsewhere.example", /not on this server/],
      [`@nobody${v}:${env.server.serverName}`, /no active account/],
    ];
    for (const [target, why] of targets) {
      const { pdu, eventId } = room.invite(target);
      expectError(await inviteV2(room.roomId, eventId, { room_version: v, event: pdu, invite_room_state: room.state }), 403, "M_FORBIDDEN", why);
      expect(membershipStore(env.app.storage).invite(target, room.roomId)).toBeUndefined();
    }
  });

  it("not an invite, not from the origin, bad signature, wrong IDs → 400 M_INVALID_PARAM; malformed → 400 M_BAD_JSON", async () => {
    const cases: [ReturnType<RemoteRoom["invite"]>, RegExp][] = [
      [room.invite(bob, (ev) => void (ev.content = { membership: "join" })), /Not an invite/],
      [room.invite(bob, (ev) => void (ev.type = "m.room.topic")), /m.room.member/],
      [room.invite(bob, (ev) => void (ev.sender = "@carol:elsewhere.example")), /requesting server/],
    ];
    for (const [{ pdu, eventId }, why] of cases) {
      expectError(await inviteV2(room.roomId, eventId, { room_version: v, event: pdu, invite_room_state: room.state }), 400, "M_INVALID_PARAM", why);
    }
    const { pdu, eventId } = room.invite(bob);
    const forged = { ...pdu, signatures: { [env.remote.serverName]: { [env.remote.key.keyId]: "A".repeat(86) } } };
    expectError(await inviteV2(room.roomId, eventId, { room_version: v, event: forged, invite_room_state: room.state }), 400, "M_INVALID_PARAM", /signature/);
    expectError(await inviteV2(room.roomId, "$wrong", { room_version: v, event: pdu, invite_room_state: room.state }), 400, "M_INVALID_PARAM", /request path/);
    expectError(await inviteV2("!other:elsewhere.example", eventId, { room_version: v, event: pdu, invite_room_state: room.state }), 400, "M_INVALID_PARAM");
    const { depth: _d, ...noDepth } = pdu;
    expectError(await inviteV2(room.roomId, eventId, { room_version: v, event: noDepth, invite_room_state: room.state }), 400, "M_BAD_JSON");
    expectError(await inviteV2(room.roomId, eventId, { room_version: v, event: pdu, invite_room_state: {} }), 400, "M_BAD_JSON");
  });

  it("the invitee blocks invites → 403 M_INVITE_BLOCKED, nothing recorded", async () => {
    const blocked = await localUser(`blocker${v}`);
    const permissions = invitePermissions(env.app.storage);
    permissions.setAccountDataLookup((user, type) => (user === blocked && type === "m.invite_permission_config" ? { default_action: "block" } : undefined));
    try {
      const { pdu, eventId } = room.invite(blocked);
      expectError(await inviteV2(room.roomId, eventId, { room_version: v, event: pdu, invite_room_state: room.state }), 403, "M_INVITE_BLOCKED");
      expect(membershipStore(env.app.storage).invite(blocked, room.roomId)).toBeUndefined();
      // Any other value of default_action lets invites through.
      permissions.setAccountDataLookup(() => ({ default_action: "allow" }));
      const again = room.invite(blocked);
      expect((await inviteV2(room.roomId, again.eventId, { room_version: v, event: again.pdu, invite_room_state: room.state })).status).toBe(200);
    } finally {
      permissions.setAccountDataLookup(undefined);
    }
  });

  it("invite_room_state problems: an error from room version 12, a warning before", async () => {
    const strict = !["7", "10", "11"].includes(v);
    const other = remoteRoom(env.remote, v);
    const variants: JsonValue[][] = [
      room.state.slice(1) as unknown as JsonValue[], // no m.room.create
      [...room.state, other.state[2]!] as unknown as JsonValue[], // an event of another room
      [...(room.state as unknown as JsonValue[]), { type: "m.room.topic", state_key: "", sender: "@carol:x.example", content: { topic: "legacy" } }], // not a PDU
    ];
    for (const invite_room_state of variants) {
      const { pdu, eventId } = room.invite(await localUser(`v${crypto.randomBytes(4).toString("hex")}`));
      const res = await inviteV2(room.roomId, eventId, { room_version: v, event: pdu, invite_room_state });
      if (strict) expectError(res, 400, "M_INVALID_PARAM", /room state/);
      else expect(res.status, res.text).toBe(200);
    }
    if (strict) return;
    // Accepted: the bad PDU is not passed on to clients; the legacy stripped entry is.
    const user = await localUser(`legacy${v}`);
    const { pdu, eventId } = room.invite(user);
    const offered = [...room.state, other.state[2]!, { type: "m.room.topic", state_key: "", sender: "@carol:x.example", content: { topic: "legacy" } }];
    expect((await inviteV2(room.roomId, eventId, { room_version: v, event: pdu, invite_room_state: offered })).status).toBe(200);
    const stripped = membershipStore(env.app.storage).invite(user, room.roomId)!.strippedState;
    expect(stripped.map((s) => s.type)).toEqual(["m.room.create", "m.room.join_rules", "m.room.name", "m.room.topic"]);
    expect(stripped.filter((s) => s.type === "m.room.name")).toHaveLength(1);
  });
});

describe.each(["1", "2"])("invite v1, room version %s", (v) => {
  it("the event is the body, invite_room_state in unsigned; answers [200, {event}]", async () => {
    const room = remoteRoom(env.remote, v);
    const { pdu, eventId } = room.invite(bob);
    const body = { ...pdu, unsigned: { invite_room_state: room.state } };
    const res = await env.remote.send(env.server, "PUT", `/_matrix/federation/v1/invite/${enc(room.roomId)}/${enc(eventId)}`, body as unknown as JsonValue);
    expect(res.status, res.text).toBe(200);
    const [status, answer] = res.json<[number, { event: Pdu }]>();
    expect(status).toBe(200);
    expectOnlyOurSignatureAdded(body as Pdu, answer.event);
    expect(answer.event.unsigned).toEqual({ invite_room_state: room.state });
    const pending = membershipStore(env.app.storage).invite(bob, room.roomId)!;
    expect(pending.roomVersion).toBe(v);
    expect(pending.strippedState.map((s) => s.type)).toEqual(["m.room.create", "m.room.join_rules", "m.room.name"]);
  });

  it("invite v2 works for this room version too", async () => {
    const room = remoteRoom(env.remote, v);
    const { pdu, eventId } = room.invite(bob);
    const res = await inviteV2(room.roomId, eventId, { room_version: v, event: pdu, invite_room_state: room.state });
    expect(res.status, res.text).toBe(200);
  });
});

describe("invites for rooms Conflux is in", () => {
  it("v1 invite into a room of a later version → 400 M_INCOMPATIBLE_ROOM_VERSION", async () => {
    const roomId = await createRoom(env, "10");
    const res = await env.remote.send(env.server, "PUT", `/_matrix/federation/v1/invite/${enc(roomId)}/${enc("$x:y.example")}`, { type: "m.room.member" });
    expectError(res, 400, "M_INCOMPATIBLE_ROOM_VERSION");
    expect(res.json<{ room_version: string }>().room_version).toBe("10");
  });

  it.each(["7", "12"])("room version %s: the invite goes into the room; a sender the rules refuse → 403", async (v) => {
    const roomId = await createRoom(env, v, { extra: () => [{ type: "m.room.name", stateKey: "", sender: env.alice, content: { name: "Ours" } }] });
    const carol = env.remote.userId(`inroom${v}`);
    expect((await joinRoom(env, roomId, carol)).res.status).toBe(200);
    const dave = await localUser(`dave${v}`);
    const builder = new RemoteEventBuilder(env.remote.serverName, env.app.rooms, env.remote.key);
    const ev = builder.event(roomId, { type: "m.room.member", stateKey: dave, sender: carol, content: { membership: "invite" } });
    const create = env.app.storage.events.getEvent(env.app.storage.rooms.getRoom(roomId)!.createEventId!)!.pdu;
    const offered = [create] as unknown as JsonValue[];
    const res = await inviteV2(roomId, ev.eventId, { room_version: v, event: ev.pdu, invite_room_state: offered });
    expect(res.status, res.text).toBe(200);
    expect(membershipOf(env, roomId, dave)).toBe("invite");
    const pending = membershipStore(env.app.storage).invite(dave, roomId)!;
    expect(pending.strippedState.find((s) => s.type === "m.room.name")?.content).toEqual({ name: "Ours" });

    const outsider = env.remote.userId(`outsider${v}`);
    const erin = await localUser(`erin${v}`);
    const refused = builder.event(roomId, { type: "m.room.member", stateKey: erin, sender: outsider, content: { membership: "invite" } });
    expectError(await inviteV2(roomId, refused.eventId, { room_version: v, event: refused.pdu, invite_room_state: offered }), 403, "M_FORBIDDEN");
    expect(membershipStore(env.app.storage).invite(erin, roomId)).toBeUndefined();
  });

  it("ACL denies the origin → 403 on invite v1 and v2", async () => {
    const denied = await createRoom(env, "10", {
      extra: () => [{ type: "m.room.server_acl", stateKey: "", sender: env.alice, content: { allow: ["*"], deny: ["127.0.0.1"] } }],
    });
    const room = remoteRoom(env.remote, "10");
    const { pdu } = room.invite(bob);
    expectError(await inviteV2(denied, "$x", { room_version: "10", event: pdu, invite_room_state: [] }), 403, "M_FORBIDDEN", /ACL/);
    const v1 = await env.remote.send(env.server, "PUT", `/_matrix/federation/v1/invite/${enc(denied)}/${enc("$x")}`, { type: "m.room.member" });
    expectError(v1, 403, "M_FORBIDDEN", /ACL/);
  });

  it("pending invites follow the room: a local invite is recorded, the join ends it", async () => {
    const roomId = await createRoom(env, "11", { joinRule: "invite" });
    const frank = `@frank:${env.server.serverName}`;
    const store = membershipStore(env.app.storage);
    const changes: string[] = [];
    const off = store.onChange((x) => changes.push(`${x.kind}:${x.removed ? "-" : "+"}`));
    try {
      await env.app.rooms.send(roomId, { type: "m.room.member", stateKey: frank, sender: env.alice, content: { membership: "invite" } });
      await waitFor("the invite to be recorded", () => store.invite(frank, roomId) !== undefined);
      expect(store.invitesOf(frank).map((i) => i.roomId)).toEqual([roomId]);
      await env.app.rooms.send(roomId, { type: "m.room.member", stateKey: frank, sender: frank, content: { membership: "join" } });
      await waitFor("the join to end the invite", () => store.invite(frank, roomId) === undefined);
      expect(changes).toEqual(["invite:+", "invite:-"]);
    } finally {
      off();
    }
  });
});

describe("exchange_third_party_invite", () => {
  const identity = randomKey("ed25519:0");
  const token = "tok-" + crypto.randomBytes(4).toString("hex");
  let roomId: string;
  let invited: string;

  beforeAll(async () => {
    roomId = await createRoom(env, "10", {
      joinRule: "invite",
      extra: () => [
        {
          type: "m.room.third_party_invite",
          stateKey: token,
          sender: env.alice,
          content: { display_name: "e…@example.org", key_validity_url: "https://identity.example/_matrix/identity/v2/pubkey/isvalid", public_key: encodeBase64(identity.publicKey) },
        },
      ],
    });
    invited = env.remote.userId("threepid");
    // The invitee's server countersigns the invite Conflux sends it.
    env.remote.on("PUT", "/_matrix/federation/v2/invite/:roomId/:eventId", (req) => {
      const body = req.body as { room_version: string; event: Pdu };
      return { event: addEventSignature(body.event, versionOf(body.room_version), env.remote.serverName, env.remote.key) as unknown as JsonValue };
    });
  });

  function partial(opts: { token?: string; mxid?: string; stateKey?: string; key?: typeof identity } = {}): JsonObject {
    const signed = signJson({ mxid: opts.mxid ?? invited, token: opts.token ?? token }, "identity.example", opts.key ?? identity);
    return {
      type: "m.room.member",
      room_id: roomId,
      sender: env.alice,
      state_key: opts.stateKey ?? invited,
      content: { membership: "invite", third_party_invite: { display_name: "whatever", signed } },
    };
  }

  async function exchange(body: JsonObject) {
    return env.remote.send(env.server, "PUT", `/_matrix/federation/v1/exchange_third_party_invite/${enc(roomId)}`, body);
  }

  it("issues the invite: countersigned by the invitee's server, stored, display name from the room", async () => {
    const res = await exchange(partial());
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toEqual({});
    expect(membershipOf(env, roomId, invited)).toBe("invite");
    const room = env.app.storage.rooms.getRoom(roomId)!;
    const nid = env.app.storage.rooms.membership(room.roomNid, invited)!.nid;
    const stored = env.app.storage.events.getEventByNid(nid)!.pdu;
    expect((stored.content.third_party_invite as JsonObject).display_name).toBe("e…@example.org");
    expect(Object.keys(stored.signatures).sort()).toEqual([env.remote.serverName, env.server.serverName].sort());
  });

  it("refusals: unknown token, forged identity signature, user not on the requesting server → 403; mxid ≠ state_key → 400", async () => {
    const other = env.remote.userId("threepid2");
    expectError(await exchange(partial({ token: "nope", mxid: other, stateKey: other })), 403, "M_FORBIDDEN");
    expectError(await exchange(partial({ key: randomKey("ed25519:0"), mxid: other, stateKey: other })), 403, "M_FORBIDDEN");
    expectError(await exchange(partial({ mxid: "@x:elsewhere.example", stateKey: "@x:elsewhere.example" })), 403, "M_FORBIDDEN");
    expectError(await exchange(partial({ mxid: other })), 400, "M_INVALID_PARAM");
    expectError(await exchange({ type: "m.room.member" }), 400, "M_BAD_JSON");
    expect(membershipOf(env, roomId, other)).toBeUndefined();
  });

  it("3pid/onbind is declined: identity servers are not trusted here", async () => {
    const { request } = await import("../helpers/http.js");
    const res = await request(`${env.server.federationUrl}/_matrix/federation/v1/3pid/onbind`, {
      method: "PUT",
      body: { medium: "email", address: "a@example.org", mxid: bob, invites: [] },
      rejectUnauthorized: false,
    });
    expectError(res, 403, "M_FORBIDDEN");
  });
});
