/**
 * The destination queues and the transaction sender against a remote double that records
 * every PUT /send and can be told to fail, stall or recover.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import type { App } from "../../src/app.js";
import { Errors } from "../../src/errors.js";
import { toRoomEvent } from "../../src/events/event.js";
import { getRoomVersion } from "../../src/events/room-versions.js";
import type { JsonObject } from "../../src/events/types.js";
import { outboundOf, queueEdu } from "../../src/outbound/queue/index.js";
import { conflux, FakeRemote } from "../helpers/fake-remote.js";
import type { TestServer } from "../helpers/server.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { waitFor } from "../helpers/wait.js";

const V = getRoomVersion("11")!;

interface SentTxn {
  txnId: string;
  pdus: JsonObject[];
  edus: JsonObject[];
  ok: boolean;
}


/** A public room of ours with one member on the remote, joined straight through the actor. */
async function roomWithRemoteMember(app: App, remote: FakeRemote): Promise<string> {
  const alice = `@alice:${app.serverName}`;
  const { roomId } = await app.rooms.createRoom({
    version: V,
    creator: alice,
    createContent: {},
    initialEvents: (): LocalEventSpec[] => [
      { type: "m.room.member", stateKey: alice, sender: alice, content: { membership: "join" } },
      { type: "m.room.power_levels", stateKey: "", sender: alice, content: { users: { [alice]: 100 } } },
      { type: "m.room.join_rules", stateKey: "", sender: alice, content: { join_rule: "public" } },
    ],
  });
  const ctx = app.rooms.context(roomId)!;
  const heads = app.storage.rooms.getHeads(ctx.roomNid);
  const prev = app.storage.events.eventIdsOf(heads.extremities);
  const depth = Math.max(...prev.map((id) => app.storage.events.getEvent(id)!.depth)) + 1;
  const auth = ["m.room.create", "m.room.join_rules", "m.room.power_levels"].map((t) => app.storage.events.eventIdOf(app.storage.rooms.currentStateNid(ctx.roomNid, t, "")!)!);
  const bob = remote.userId("bob");
  const { pdu, eventId } = remote.sign(
    { room_id: roomId, sender: bob, type: "m.room.member", state_key: bob, content: { membership: "join" }, origin_server_ts: Date.now(), depth, prev_events: prev, auth_events: auth },
    V,
  );
  const [o] = await app.rooms.actor(roomId).receive([{ event: toRoomEvent(pdu, V, eventId, roomId) }], remote.serverName);
  expect(o?.status).toBe("accepted");
  return roomId;
}

describe("outbound transactions to a remote double", () => {
  let remote: FakeRemote;
  let dir: TempDir;
  let server: TestServer;
  let app: App;
  let roomId: string;
  const sent: SentTxn[] = [];
  /** What the next /send does: answer, fail, or wait for a gate first. */
  let behaviour: { failures: number; gate?: Promise<void> } = { failures: 0 };

  const alice = (): string => `@alice:${app.serverName}`;
  const say = async (body: string): Promise<string> => (await app.rooms.send(roomId, { type: "m.room.message", sender: alice(), content: { msgtype: "m.text", body } })).eventId;
  const okTxns = (): SentTxn[] => sent.filter((t) => t.ok);

  async function start(): Promise<void> {
    server = await conflux([remote], { dir, ...(server ? { federationPort: server.server.federation.port } : {}) });
    app = server.server.app;
    outboundOf(app).sender.setOptions({ baseRetryMs: 40, maxRetryMs: 200, outageAfterFailures: 1000 });
  }

  beforeAll(async () => {
    remote = await FakeRemote.start();
    remote.on("PUT", "/_matrix/federation/v1/send/:txnId", async (req) => {
      const body = req.body as { pdus?: JsonObject[]; edus?: JsonObject[]; origin?: string };
      const record: SentTxn = { txnId: req.params.txnId!, pdus: body.pdus ?? [], edus: body.edus ?? [], ok: false };
      sent.push(record);
      if (behaviour.gate) await behaviour.gate;
      if (behaviour.failures > 0) {
        behaviour.failures--;
        throw Errors.unknown("remote is having a bad day", 500);
      }
      record.ok = true;
      return { pdus: Object.fromEntries(record.pdus.map((_p, i) => [`$${i}`, {}])) };
    });
    dir = tempDir();
    await start();
    roomId = await roomWithRemoteMember(app, remote);
  });
  afterAll(async () => {
    await server?.stop();
    await remote?.stop();
    dir?.cleanup();
  });

  /** Messages are told apart by their body. */
  const bodyOf = (p: JsonObject): string => String((p.content as { body?: string } | undefined)?.body ?? p.type);
  const bodies = (t: SentTxn): string[] => t.pdus.map(bodyOf);

  it("sends new events in transactions of at most 50 PDUs, in order, nothing lost", async () => {
    let open!: () => void;
    behaviour = { failures: 0, gate: new Promise<void>((r) => (open = r)) };
    const before = sent.length;
    const texts = Array.from({ length: 120 }, (_, i) => `batch ${i}`);
    for (const b of texts) await say(b);
    behaviour.gate = undefined;
    open();
    await waitFor("all 120 messages delivered", () => okTxns().flatMap(bodies).filter((b) => b.startsWith("batch ")).length >= 120);
    const mine = sent.slice(before);
    expect(mine.every((t) => t.pdus.length <= 50 && t.ok)).toBe(true);
    expect(mine.some((t) => t.pdus.length === 50)).toBe(true);
    expect(mine.flatMap(bodies).filter((b) => b.startsWith("batch "))).toEqual(texts);
    // Every transaction has its own txnId, and carries our origin.
    expect(new Set(mine.map((t) => t.txnId)).size).toBe(mine.length);
  });

  it("retries a failed transaction with the same txnId and content, and resets the backoff on success", async () => {
    await waitFor("queue idle", () => outboundOf(app).sender.isIdle(remote.serverName));
    behaviour = { failures: 3 };
    const before = sent.length;
    await say("retry me");
    await waitFor("the retried transaction to succeed", () => sent.slice(before).some((t) => t.ok));
    const attempts = sent.slice(before);
    expect(attempts).toHaveLength(4);
    expect(attempts.map((t) => t.ok)).toEqual([false, false, false, true]);
    expect(new Set(attempts.map((t) => t.txnId)).size).toBe(1);
    expect(attempts.every((t) => JSON.stringify(t.pdus) === JSON.stringify(attempts[0]!.pdus))).toBe(true);
    expect(attempts[0]!.pdus.map(bodyOf)).toEqual(["retry me"]);
    const q = outboundOf(app);
    await waitFor("retry state cleared", () => q.store.retry(remote.serverName) === undefined);

    // The backoff starts over: one new failure counts as the first.
    behaviour = { failures: 1 };
    const next = sent.length;
    await say("after reset");
    await waitFor("one failure recorded", () => sent.length > next);
    await waitFor("delivered", () => sent.slice(next).some((t) => t.ok));
    expect(sent.slice(next).map((t) => t.ok)).toEqual([false, true]);
    expect(sent[next]!.txnId).toBe(sent[next + 1]!.txnId);
    expect(sent[next]!.txnId).not.toBe(attempts[0]!.txnId);
  });

  it("carries queued EDUs in transactions", async () => {
    await waitFor("queue idle", () => outboundOf(app).sender.isIdle(remote.serverName));
    behaviour = { failures: 0 };
    const before = sent.length;
    await queueEdu(app, [remote.serverName, app.serverName], { edu_type: "m.typing", content: { room_id: roomId, user_id: alice(), typing: true } });
    await waitFor("EDU delivered", () => sent.slice(before).some((t) => t.ok && t.edus.length > 0));
    const t = sent.slice(before).find((x) => x.edus.length > 0)!;
    expect(t.edus).toEqual([{ edu_type: "m.typing", content: { room_id: roomId, user_id: alice(), typing: true } }]);
    expect(t.pdus).toEqual([]);
  });

  it("after an outage sends the room's latest event instead of the backlog", async () => {
    await waitFor("queue idle", () => outboundOf(app).sender.isIdle(remote.serverName));
    const q = outboundOf(app);
    q.sender.setOptions({ outageAfterFailures: 2 });
    behaviour = { failures: 1_000 };
    const before = sent.length;
    await say("outage 0");
    await waitFor("two failed attempts", () => sent.length >= before + 2);
    await waitFor("outage declared", () => q.store.inOutage(remote.serverName));
    for (let i = 1; i <= 5; i++) await say(`outage ${i}`);
    behaviour = { failures: 0 };
    q.sender.retryNow(remote.serverName);
    await waitFor("catch-up delivered", () => sent.slice(before).filter((t) => t.ok).length >= 2);
    await waitFor("queue idle", () => q.sender.isIdle(remote.serverName));
    const ok = sent.slice(before).filter((t) => t.ok);
    // The transaction in flight is retried as it was; then only the newest event goes.
    expect(ok[0]!.pdus.map(bodyOf)).toEqual(["outage 0"]);
    expect(ok.slice(1).flatMap((t) => t.pdus.map(bodyOf))).toEqual(["outage 5"]);
    expect(q.store.inOutage(remote.serverName)).toBe(false);
    q.sender.setOptions({ outageAfterFailures: 1000 });
  });

  it("resumes the same transaction after a restart", async () => {
    await waitFor("queue idle", () => outboundOf(app).sender.isIdle(remote.serverName));
    behaviour = { failures: 1_000 };
    const before = sent.length;
    await say("survives a restart");
    await waitFor("a failed attempt", () => sent.length > before);
    const txnId = sent[before]!.txnId;
    await server.stop();
    const stoppedAt = sent.length;
    behaviour = { failures: 0 };
    await start();
    await waitFor("delivered after restart", () => sent.slice(stoppedAt).some((t) => t.ok));
    const resumed = sent.slice(stoppedAt).find((t) => t.ok)!;
    expect(resumed.txnId).toBe(txnId);
    expect(resumed.pdus.map(bodyOf)).toEqual(["survives a restart"]);
  });
});
