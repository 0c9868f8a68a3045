/**
 * Ephemeral data across two real Conflux servers (HTTPS on loopback, each trusting the other's
 * self-signed certificate): typing, receipts, presence, to-device messages and device-list
 * updates travel as EDUs through the outbound queues and wake the other server's /sync.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSelfSignedCertificate } from "../../src/crypto/tls-cert.js";
import { accountsOf } from "../../src/accounts/of-app.js";
import { eduServices } from "../../src/edu/index.js";
import type { JsonObject } from "../../src/events/types.js";
import { joinRemoteRoom } from "../../src/outbound/membership/index.js";
import { outboundOf } from "../../src/outbound/queue/index.js";
import { freePort } from "../helpers/server.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { SyncFixture, type SyncBody, type User } from "./sync-fixture.js";

interface Node {
  port: number;
  dir: TempDir;
  certPath: string;
  fx?: SyncFixture;
}

async function prepare(prefix: string): Promise<Node> {
  const port = await freePort();
  const dir = tempDir(prefix);
  const cert = generateSelfSignedCertificate(`127.0.0.1:${port}`);
  const certPath = join(dir.path, "tls.crt");
  writeFileSync(certPath, cert.certificatePem);
  writeFileSync(join(dir.path, "tls.key"), cert.privateKeyPem, { mode: 0o600 });
  return { port, dir, certPath };
}

async function start(node: Node, peer: Node): Promise<SyncFixture> {
  node.fx = await SyncFixture.start({ dir: node.dir, federationPort: node.port, overrides: { federation: { trusted_ca_paths: [peer.certPath] } } });
  outboundOf(node.fx.app).sender.setOptions({ baseRetryMs: 100, maxRetryMs: 500 });
  return node.fx;
}

/** Long-poll until `pick` finds what it wants in a response (each sync wakes on news). */
async function syncUntil<T>(fx: SyncFixture, user: User, since: string, pick: (res: SyncBody) => T | undefined): Promise<T> {
  let token = since;
  for (let i = 0; i < 50; i++) {
    const res = await fx.sync(user, { since: token, timeout: 30_000 });
    const found = pick(res);
    if (found !== undefined) return found;
    token = res.next_batch;
  }
  throw new Error("never arrived");
}

let a: Node;
let b: Node;
let A: SyncFixture;
let B: SyncFixture;
let alice: User;
let bob: User;
let roomId: string;

beforeAll(async () => {
  a = await prepare("conflux-eph-a-");
  b = await prepare("conflux-eph-b-");
  A = await start(a, b);
  B = await start(b, a);
  alice = await A.user("alice");
  bob = await B.user("bob");
  roomId = await A.createRoom(alice, { name: "Across", encrypted: true });
  // The resident (A) holds bob's join when the send_join handshake returns.
  await joinRemoteRoom(B.app, { roomId, servers: [A.app.serverName], userId: bob.userId });
});
afterAll(async () => {
  await a?.fx?.stop();
  await b?.fx?.stop();
  a?.dir.cleanup();
  b?.dir.cleanup();
});

function ephemeralOf(res: SyncBody, type: string): JsonObject | undefined {
  return res.rooms.join[roomId]?.ephemeral?.events.find((e) => e.type === type);
}

describe("EDUs between two servers", () => {
  it("joining a room with a new server announces the joiner's devices to it", async () => {
    // B records bob's devices as changes when he joins A's room, so A gets m.device_list_update
    // EDUs for him (and resynchronises his whole list, having never had one).
    const lists = eduServices(A.app).deviceLists;
    const latest = () => accountsOf(B.app).deviceLists.streamId(bob.userId);
    for (let i = 0; i < 400 && lists.state(bob.userId)?.lastStreamId !== latest(); i++) await new Promise((r) => setTimeout(r, 25));
    // Registration was bob's first change; the join added one per device.
    expect(latest()).toBeGreaterThan(1);
    expect(lists.state(bob.userId)).toMatchObject({ lastStreamId: latest(), stale: false });
  });

  it("typing on A shows up in B's sync", async () => {
    const { next_batch } = await B.sync(bob);
    await A.ok(alice, `/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { method: "PUT", body: { typing: true, timeout: 30_000 } });
    const typing = await syncUntil(B, bob, next_batch, (res) => {
      const e = ephemeralOf(res, "m.typing");
      return e && (e.content as { user_ids: string[] }).user_ids.includes(alice.userId) ? e : undefined;
    });
    expect(typing).toEqual({ type: "m.typing", content: { user_ids: [alice.userId] } });
    const stopped = (await B.sync(bob)).next_batch;
    await A.ok(alice, `/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { method: "PUT", body: { typing: false } });
    const after = await syncUntil(B, bob, stopped, (res) => ephemeralOf(res, "m.typing"));
    expect(after).toEqual({ type: "m.typing", content: { user_ids: [] } });
  });

  it("a read receipt on B reaches A", async () => {
    const before = await B.sync(bob);
    const eventId = await A.send(roomId, alice, "read this");
    // B must hold the event before bob can acknowledge it.
    await syncUntil(B, bob, before.next_batch, (res) => (res.rooms.join[roomId]?.timeline.events.some((e) => e.event_id === eventId) ? true : undefined));
    const { next_batch } = await A.sync(alice);
    await B.ok(bob, `/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`, { body: {} });
    const receipt = await syncUntil(A, alice, next_batch, (res) => ephemeralOf(res, "m.receipt"));
    expect(receipt.content).toMatchObject({ [eventId]: { "m.read": { [bob.userId]: { ts: expect.any(Number) } } } });
  });

  it("presence set on A reaches B", async () => {
    const { next_batch } = await B.sync(bob);
    await A.ok(alice, `/presence/${encodeURIComponent(alice.userId)}/status`, { method: "PUT", body: { presence: "online", status_msg: "federating" } });
    const event = await syncUntil(B, bob, next_batch, (res) => res.presence.events.find((e) => e.sender === alice.userId));
    expect(event.content).toMatchObject({ presence: "online", status_msg: "federating" });
  });

  it("a to-device message from A reaches bob's device on B", async () => {
    const { next_batch } = await B.sync(bob);
    await A.ok(alice, `/sendToDevice/m.room_key_request/${A.txn()}`, { method: "PUT", body: { messages: { [bob.userId]: { [bob.deviceId]: { hello: "bob" } } } } });
    const msgs = await syncUntil(B, bob, next_batch, (res) => (res.to_device.events.length > 0 ? res.to_device.events : undefined));
    expect(msgs).toEqual([{ sender: alice.userId, type: "m.room_key_request", content: { hello: "bob" } }]);
  });

  it("a new device of bob's on B puts bob in A's device_lists.changed", async () => {
    const { next_batch } = await A.sync(alice);
    await B.login(bob.userId);
    const changed = await syncUntil(A, alice, next_batch, (res) => (res.device_lists.changed.includes(bob.userId) ? res.device_lists.changed : undefined));
    expect(changed).toContain(bob.userId);
  });
});
