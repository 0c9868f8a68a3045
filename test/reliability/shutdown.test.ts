/**
 * Graceful shutdown of a child-process server (src/server.ts `Server.stop`, src/cli/start.ts):
 * on SIGTERM it stops accepting connections, lets requests in flight finish (up to
 * `shutdown_grace_ms`), releases /sync long-polls, drains room actors to LMDB and exits 0;
 * everything it acknowledged is durable. A request that never finishes does not hold the exit
 * past the grace period, and a second SIGTERM exits at once.
 *
 * Requests are held in flight deterministically: a /send whose PDU has an unknown prev event
 * makes Conflux ask the remote (get_missing_events), and the remote answers only when told.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Storage } from "../../src/storage/storage.js";
import { ensureBuilt } from "../helpers/build.js";
import { FakeRemote } from "../helpers/fake-remote.js";
import { freePort } from "../helpers/server.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { ChildServer, sleep } from "./lib/child-server.js";
import { answers, clientCall, createPublicRoom, registerUser, sendPath, type Session } from "./lib/client.js";
import { checkAllRooms } from "./lib/consistency.js";
import { RemoteRoom, type FedResponse } from "./lib/remote-room.js";

const GRACE_MS = 3000;
/** Process start-up and teardown on a loaded 2-core machine; not a performance bound. */
const SLACK_MS = 30_000;

describe("graceful shutdown on SIGTERM", () => {
  let dir: TempDir;
  let remote: FakeRemote;
  let ports: { federationPort: number; clientPort: number };
  let server: ChildServer;
  let alice: Session;
  let room: RemoteRoom;
  let roomId: string;
  /** The remote's get_missing_events answer waits for this. */
  let gate: Promise<void> = Promise.resolve();
  let calls = 0;
  /** What the remote answers get_missing_events with: the held transaction's missing prev. */
  let pendingMissing: unknown;

  const start = (grace = GRACE_MS) =>
    ChildServer.start({ dir: dir.path, ...ports, config: { shutdown_grace_ms: grace, federation: { trusted_ca_paths: [remote.certPath] } } });

  /** Send a transaction that stays in flight until `open()` is called. */
  async function heldTransaction(): Promise<{ response: Promise<FedResponse | Error>; eventIds: string[]; open: () => void }> {
    const sender = remote.userId("r0");
    const missing = room.message(sender, "fetched late");
    pendingMissing = missing.pdu;
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const before = calls;
    const txn = room.transaction([room.message(sender, "needs its prev event")]);
    const response = room.send(txn).catch((e: Error) => e);
    while (calls === before) await sleep(10);
    return { response, eventIds: [missing.eventId, txn.eventIds[0]!], open };
  }

  beforeAll(async () => {
    ensureBuilt();
    dir = tempDir("conflux-shutdown-");
    remote = await FakeRemote.start();
    remote.on("PUT", "/_matrix/federation/v1/send/:txnId", () => ({ pdus: {} }));
    remote.on("POST", "/_matrix/federation/v1/get_missing_events/:roomId", async () => {
      calls++;
      await gate;
      return { events: [pendingMissing as never] };
    });
    ports = { federationPort: await freePort(), clientPort: await freePort() };
    server = await start();
    alice = await registerUser(server.clientUrl, "alice");
    roomId = await createPublicRoom(alice);
    room = await RemoteRoom.join(remote, server, roomId, "r0");
  });

  afterAll(async () => {
    await server?.kill();
    await remote?.stop();
    dir?.cleanup();
  });

  async function storedAndConsistent(eventIds: readonly string[]): Promise<void> {
    const storage = Storage.open(server.databaseDir);
    try {
      expect(eventIds.map((id) => [id, storage.events.getEvent(id)?.status])).toEqual(eventIds.map((id) => [id, "accepted"]));
      expect(checkAllRooms(storage)).toEqual([]);
    } finally {
      await storage.close();
    }
  }

  it("stops accepting, finishes requests in flight, exits 0; what it acknowledged is stored", async () => {
    const sent = await clientCall(server.clientUrl, "PUT", sendPath(roomId, "before-stop"), { msgtype: "m.text", body: "hi" }, alice.accessToken);
    expect(sent.status).toBe(200);
    const held = await heldTransaction();

    server.signal("SIGTERM");
    // New connections are refused from now on (bounded wait for the signal to be handled).
    let refused = false;
    for (let i = 0; i < 200 && !refused; i++) {
      refused = !(await answers(`${server.clientUrl}/_matrix/client/versions`));
      if (!refused) await sleep(25);
    }
    expect(refused).toBe(true);
    expect(await answers(`${server.federationUrl}/_matrix/federation/v1/version`)).toBe(false);

    held.open();
    const response = await held.response;
    expect(response instanceof Error ? response : { status: response.status, body: response.body }).toEqual({
      status: 200,
      body: { pdus: { [held.eventIds[1]!]: {} } },
    });
    const exit = await server.waitExit(GRACE_MS + SLACK_MS);
    expect(exit).toEqual({ code: 0, signal: null });
    await storedAndConsistent([sent.body.event_id as string, ...held.eventIds]);
  });

  it("exits 0 once the grace period is over even when a request never finishes", async () => {
    server = await start();
    const held = await heldTransaction();
    server.signal("SIGTERM");
    const exit = await server.waitExit(GRACE_MS + SLACK_MS);
    expect(exit).toEqual({ code: 0, signal: null });
    // Never acknowledged: the connection closed without a response.
    const response = await held.response;
    expect(response instanceof Error || response.status !== 200).toBe(true);
    held.open();
    await storedAndConsistent([]);
  });

  it("a second SIGTERM exits at once, without waiting for the grace period", async () => {
    server = await start(10 * 60_000);
    const held = await heldTransaction();
    server.signal("SIGTERM");
    while (await answers(`${server.clientUrl}/_matrix/client/versions`)) await sleep(25);
    server.signal("SIGTERM");
    // Far sooner than the ten-minute grace period: the test's own timeout would fail first.
    const exit = await server.waitExit(SLACK_MS);
    expect(exit).toEqual({ code: 1, signal: null });
    held.open();
    await held.response;
    await storedAndConsistent([]);
  });

  // KNOWN BUG (src/client/sync/service.ts, reported): after `notifier.close()` every
  // `notifier.wait()` resolves at once, and `runSync` loops on it until the long-poll's own
  // deadline — a microtask spin that blocks the whole process, so shutdown hangs for as long
  // as the longest /sync timeout. Fix: when `wait` resolves `false`, treat the deadline as
  // reached (build and return). Remove `.fails` once fixed.
  it("a /sync long-poll is released at once by SIGTERM, and the server exits 0", { timeout: 10_000 }, async () => {
    server = await start();
    const initial = await clientCall(server.clientUrl, "GET", "/_matrix/client/v3/sync?timeout=0", undefined, alice.accessToken);
    const since = encodeURIComponent(initial.body.next_batch as string);
    const longPoll = clientCall(server.clientUrl, "GET", `/_matrix/client/v3/sync?timeout=600000&since=${since}`, undefined, alice.accessToken);
    await sleep(200); // let it reach the wait (if it has not, it is answered at once anyway)
    server.signal("SIGTERM");
    expect((await longPoll).status).toBe(200);
    expect(await server.waitExit(GRACE_MS + SLACK_MS)).toEqual({ code: 0, signal: null });
  });
});
