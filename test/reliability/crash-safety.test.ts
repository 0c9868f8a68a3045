/**
 * Crash safety (DESIGN.md "Durable before acknowledged"; server-server-api.md "Transactions"):
 * Conflux runs as a child process while a remote server feeds it /send transactions and two
 * local users send events through the client API. At a seeded random moment it is SIGKILLed.
 * Then, on the database as the crash left it:
 *   - every PDU a /send response acknowledged, and every client event whose event_id was
 *     returned, is stored and accepted;
 *   - no room is half-written (lib/consistency.ts: extremities, current state, membership
 *     indexes agree);
 * and after a restart on the same data dir and port:
 *   - the transaction that was in flight is retried (as the spec has senders do) and answered,
 *     and every acknowledged transaction retried gets exactly the response it got before;
 *   - client transaction IDs are idempotent across the crash (same event_id).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Storage } from "../../src/storage/storage.js";
import { rng } from "../unit/state-res/fixtures.js";
import { ensureBuilt } from "../helpers/build.js";
import { FakeRemote } from "../helpers/fake-remote.js";
import { freePort } from "../helpers/server.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { ChildServer, sleep } from "./lib/child-server.js";
import { clientCall, createPublicRoom, joinRoom, registerUser, sendPath, type Session } from "./lib/client.js";
import { checkAllRooms } from "./lib/consistency.js";
import { RemoteRoom, type Transaction } from "./lib/remote-room.js";

/** Each seed fixes the load mix and the moment of the kill (replay a failing one alone). */
const SEEDS = [11, 23, 37, 41];

interface AckedTxn {
  readonly txn: Transaction;
  readonly response: unknown;
}

interface ClientSend {
  readonly user: Session;
  readonly path: string;
  readonly body: Record<string, unknown>;
}

describe("crash safety: SIGKILL during ingest", () => {
  let dir: TempDir;
  let remote: FakeRemote;
  let server: ChildServer;
  let ports: { federationPort: number; clientPort: number };
  let room: RemoteRoom;
  let roomId: string;
  let users: Session[];
  const ackedEvents = new Set<string>();
  const ackedTxns: AckedTxn[] = [];
  const ackedClient: (ClientSend & { eventId: string })[] = [];
  const pduErrors: string[] = [];

  const start = () =>
    ChildServer.start({ dir: dir.path, ...ports, config: { federation: { trusted_ca_paths: [remote.certPath] } } });

  beforeAll(async () => {
    ensureBuilt();
    dir = tempDir("conflux-crash-");
    remote = await FakeRemote.start();
    // Conflux sends our room's events to the remote: take them.
    remote.on("PUT", "/_matrix/federation/v1/send/:txnId", () => ({ pdus: {} }));
    ports = { federationPort: await freePort(), clientPort: await freePort() };
    server = await start();
    const alice = await registerUser(server.clientUrl, "alice");
    const bob = await registerUser(server.clientUrl, "bob");
    roomId = await createPublicRoom(alice);
    await joinRoom(bob, roomId);
    users = [alice, bob];
    room = await RemoteRoom.join(remote, server, roomId, "r0");
  });

  afterAll(async () => {
    await server?.kill();
    await remote?.stop();
    dir?.cleanup();
  });

  /** The remote: one transaction in flight at a time, as the spec asks of senders. */
  async function federationLoop(random: () => number, stop: { now: boolean }): Promise<Transaction | undefined> {
    let n = 0;
    while (!stop.now) {
      const pdus = [];
      const count = 1 + Math.floor(random() * 6);
      for (let i = 0; i < count; i++) {
        const senders = room.userIds();
        const sender = senders[Math.floor(random() * senders.length)]!;
        const roll = random();
        if (roll < 0.08) pdus.push(room.joinUser(`r${senders.length}`));
        else if (roll < 0.2) pdus.push(room.rename(sender, `name ${n}-${i}`));
        else pdus.push(room.message(sender, `remote ${n}-${i}`));
      }
      const txn = room.transaction(pdus);
      n++;
      let res;
      try {
        res = await room.send(txn);
      } catch {
        return txn; // the connection died with the server: retry after the restart
      }
      if (res.status !== 200) return txn;
      record(txn, res.body);
    }
    return undefined;
  }

  function record(txn: Transaction, response: unknown): void {
    const results = (response as { pdus: Record<string, { error?: string }> }).pdus;
    for (const id of txn.eventIds) {
      if (results[id] && results[id].error === undefined) ackedEvents.add(id);
      else pduErrors.push(`${id}: ${JSON.stringify(results[id])}`);
    }
    ackedTxns.push({ txn, response });
  }

  async function clientLoop(user: Session, seed: number, random: () => number, stop: { now: boolean }): Promise<ClientSend | undefined> {
    let i = 0;
    while (!stop.now) {
      const txnId = `c${seed}-${user.userId}-${i++}`;
      const topic = random() < 0.1;
      const send: ClientSend = topic
        ? { user, path: `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.topic`, body: { topic: `topic ${txnId}` } }
        : { user, path: sendPath(roomId, txnId), body: { msgtype: "m.text", body: txnId } };
      let res;
      try {
        res = await clientCall(server.clientUrl, "PUT", send.path, send.body, user.accessToken);
      } catch {
        return topic ? undefined : send;
      }
      if (res.status !== 200) return topic ? undefined : send;
      const eventId = res.body.event_id as string;
      ackedEvents.add(eventId);
      if (!topic) ackedClient.push({ ...send, eventId });
    }
    return undefined;
  }

  async function checkDatabase(): Promise<void> {
    const storage = Storage.open(server.databaseDir);
    try {
      const missing = [...ackedEvents].filter((id) => storage.events.getEvent(id)?.status !== "accepted");
      expect(missing).toEqual([]);
      expect(checkAllRooms(storage)).toEqual([]);
    } finally {
      await storage.close();
    }
  }

  for (const seed of SEEDS) {
    it(`seed ${seed}: acknowledged events survive, rooms stay whole, retries are idempotent`, async () => {
      const random = rng(seed);
      const before = { events: ackedEvents.size, txns: ackedTxns.length, client: ackedClient.length };
      const stop = { now: false };
      const loops = Promise.all([
        federationLoop(random, stop),
        ...users.map((u) => clientLoop(u, seed, rng(seed * 31 + users.indexOf(u)), stop)),
      ]);
      await sleep(150 + Math.floor(random() * 1200));
      const exit = await server.kill();
      stop.now = true;
      expect(exit.signal).toBe("SIGKILL");
      const [pendingTxn, ...pendingClient] = await loops;
      expect(ackedEvents.size).toBeGreaterThan(before.events);
      expect(pduErrors).toEqual([]);

      await checkDatabase();

      server = await start();
      // The transaction in flight at the crash: the sender retries it until it gets a 200.
      if (pendingTxn) {
        const res = await room.send(pendingTxn);
        expect(res.status).toBe(200);
        record(pendingTxn, res.body);
        expect(pduErrors).toEqual([]);
      }
      // Acknowledged transactions retried: the very same answer, nothing re-processed.
      for (const { txn, response } of [...ackedTxns.slice(before.txns), ...ackedTxns.slice(0, 2)]) {
        const again = await room.send(txn);
        expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: response });
      }
      // Client sends in flight: the retry with the same transaction ID is the event.
      for (const send of pendingClient) {
        if (!send) continue;
        const first = await clientCall(server.clientUrl, "PUT", send.path, send.body, send.user.accessToken);
        expect(first.status).toBe(200);
        const again = await clientCall(server.clientUrl, "PUT", send.path, send.body, send.user.accessToken);
        expect(again.body.event_id).toBe(first.body.event_id);
        ackedEvents.add(first.body.event_id as string);
      }
      // Acknowledged client sends retried: same event ID as before the crash.
      for (const sent of ackedClient.slice(before.client).slice(-3)) {
        const again = await clientCall(server.clientUrl, "PUT", sent.path, sent.body, sent.user.accessToken);
        expect(again.body.event_id).toBe(sent.eventId);
      }
    });
  }

  it("a graceful stop after the crashes leaves every acknowledged event and a consistent database", async () => {
    const exit = await server.stop();
    expect(exit.code).toBe(0);
    await checkDatabase();
  });
});
