/**
 * Shared pieces of the membership handshake tests: a Conflux that trusts one FakeRemote,
 * rooms created on Conflux, the joining server's side of the make and send handshakes (completing and signing
 * templates like a real remote), and checks on what Conflux answers (signatures, auth chains).
 */
import crypto from "node:crypto";
import { expect } from "vitest";
import type { App } from "../../src/app.js";
import { computeEventId } from "../../src/events/hashes.js";
import { getRoomVersion, type RoomVersion } from "../../src/events/room-versions.js";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import { verifyEvent, type ServerKey } from "../../src/events/verify-event.js";
import { referencedIds } from "../../src/events/event.js";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import { conflux, FakeRemote } from "../helpers/fake-remote.js";
import type { TestResponse } from "../helpers/http.js";
import type { TestServer } from "../helpers/server.js";

export interface Env {
  remote: FakeRemote;
  server: TestServer;
  app: App;
  alice: string;
  stop(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const remote = await FakeRemote.start();
  // Conflux sends the events it accepts on to the room's servers; answer like a quiet peer.
  remote.on("PUT", "/_matrix/federation/v1/send/:txnId", () => ({ pdus: {} }));
  const server = await conflux([remote]);
  const app = server.server.app;
  return {
    remote,
    server,
    app,
    alice: `@alice:${server.serverName}`,
    async stop() {
      await server.stop();
      await remote.stop();
    },
  };
}

export interface RoomOptions {
  joinRule?: string;
  allow?: JsonValue[];
  /** Merged into the power levels content. */
  powerLevels?: JsonObject;
  /** Further state after the join rules. */
  extra?: (roomId: string) => LocalEventSpec[];
}

export async function createRoom(env: Env, versionId: string, opts: RoomOptions = {}): Promise<string> {
  const version = getRoomVersion(versionId)!;
  const { alice } = env;
  const users: JsonObject = version.creatorsHaveInfinitePower ? {} : { [alice]: 100 };
  const joinRules: JsonObject = { join_rule: opts.joinRule ?? "public" };
  if (opts.allow) joinRules.allow = opts.allow;
  const { roomId } = await env.app.rooms.createRoom({
    version,
    creator: alice,
    createContent: {},
    initialEvents: (id) => [
      { type: "m.room.member", stateKey: alice, sender: alice, content: { membership: "join" } },
      { type: "m.room.power_levels", stateKey: "", sender: alice, content: { users, ...(opts.powerLevels ?? {}) } },
      { type: "m.room.join_rules", stateKey: "", sender: alice, content: joinRules },
      ...(opts.extra?.(id) ?? []),
    ],
  });
  return roomId;
}

/** What a joining server does with a template: set origin, timestamp, (v1/v2) event ID; sign. */
export function completeTemplate(remote: FakeRemote, template: JsonObject, version: RoomVersion, tweak?: (ev: JsonObject) => void): { pdu: Pdu; eventId: string } {
  const ev: JsonObject = { ...template, origin: remote.serverName, origin_server_ts: Date.now() };
  if (version.eventIdFormat === "carried") ev.event_id = `$${crypto.randomBytes(12).toString("base64url")}:${remote.serverName}`;
  tweak?.(ev);
  return remote.sign(ev, version);
}

export const enc = encodeURIComponent;

export async function makeJoin(env: Env, roomId: string, user: string, ver: readonly string[] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]): Promise<TestResponse> {
  const q = ver.map((v) => `ver=${enc(v)}`).join("&");
  return env.remote.send(env.server, "GET", `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(user)}${q ? `?${q}` : ""}`);
}

/** make_join → complete → send_join v2 (optionally with a query); the template must be 200. */
export async function joinRoom(env: Env, roomId: string, user: string, query = ""): Promise<{ res: TestResponse; eventId: string; pdu: Pdu; version: RoomVersion }> {
  const made = await makeJoin(env, roomId, user);
  expect(made.status, made.text).toBe(200);
  const { room_version, event } = made.json<{ room_version: string; event: JsonObject }>();
  const version = getRoomVersion(room_version)!;
  const { pdu, eventId } = completeTemplate(env.remote, event, version);
  const res = await env.remote.send(env.server, "PUT", `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(eventId)}${query}`, pdu as unknown as JsonValue);
  return { res, eventId, pdu, version };
}

/** Key lookup for verifying what Conflux returns: Conflux's and the remote's keys. */
export function keysOf(env: Env): (server: string, keyId: string) => ServerKey | undefined {
  const keys = new Map<string, ServerKey>([
    [`${env.server.serverName} ${env.app.signingKey.keyId}`, { key: env.app.signingKey.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER }],
    [`${env.remote.serverName} ${env.remote.key.keyId}`, { key: env.remote.key.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER }],
  ]);
  return (server, keyId) => keys.get(`${server} ${keyId}`);
}

/** Every PDU's signatures and hash verify. */
export function expectVerified(env: Env, pdus: readonly Pdu[], version: RoomVersion): void {
  const lookup = keysOf(env);
  for (const pdu of pdus) {
    const v = verifyEvent(pdu, version, lookup);
    expect(v.failures, JSON.stringify(pdu)).toEqual([]);
    expect(v.signaturesOk).toBe(true);
    expect(v.contentHashOk).toBe(true);
  }
}

/** The auth chain covers every auth event of the given events and of itself. */
export function expectAuthChainComplete(version: RoomVersion, authChain: readonly Pdu[], of: readonly Pdu[]): void {
  const ids = new Set(authChain.map((p) => computeEventId(p, version)));
  for (const pdu of [...of, ...authChain]) {
    for (const id of referencedIds(pdu.auth_events)) expect(ids.has(id), `auth event ${id} missing from auth_chain`).toBe(true);
  }
}

export function errorOf(res: TestResponse): { status: number; errcode: string | undefined; room_version?: string } {
  const body = res.json<{ errcode?: string; room_version?: string }>();
  return { status: res.status, errcode: body.errcode, ...(body.room_version !== undefined ? { room_version: body.room_version } : {}) };
}

/** The answer is the Matrix error `errcode` with `status`, and its message matches `why`. */
export function expectError(res: TestResponse, status: number, errcode: string, why?: RegExp): void {
  const body = res.json<{ errcode?: string; error?: string }>();
  expect({ status: res.status, errcode: body.errcode }, res.text).toEqual({ status, errcode });
  if (why) expect(body.error).toMatch(why);
}

export function currentStateId(env: Env, roomId: string, type: string, stateKey: string): string | undefined {
  const room = env.app.storage.rooms.getRoom(roomId)!;
  const nid = env.app.storage.rooms.currentStateNid(room.roomNid, type, stateKey);
  return nid === undefined ? undefined : env.app.storage.events.eventIdOf(nid);
}

export function membershipOf(env: Env, roomId: string, user: string): string | undefined {
  const room = env.app.storage.rooms.getRoom(roomId)!;
  return env.app.storage.rooms.membership(room.roomNid, user)?.membership;
}

export function versionOf(id: string): RoomVersion {
  return getRoomVersion(id)!;
}
