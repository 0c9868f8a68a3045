import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutboundStore, type BatchSpec } from "../../../src/outbound/queue/outbound-store.js";
import { Storage } from "../../../src/storage/storage.js";

const DEST = "remote.test";
const OTHER = "other.test";

function spec(overrides: Partial<BatchSpec> = {}): BatchSpec {
  return { maxPdus: 50, maxEdus: 100, txnId: `t${Math.random()}`, now: 1000, resolveCatchUp: (_room, nid) => [nid], ...overrides };
}

describe("OutboundStore (real LMDB)", () => {
  let dir: string;
  let storage: Storage;
  let store: OutboundStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "conflux-outq-"));
    storage = Storage.open(dir);
    store = new OutboundStore(storage.store);
  });
  afterEach(async () => {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function reopen(limits?: ConstructorParameters<typeof OutboundStore>[1]): Promise<void> {
    await storage.close();
    storage = Storage.open(dir);
    store = new OutboundStore(storage.store, limits);
  }

  it("queues PDUs in commit order and moves at most 50 into a stored transaction", async () => {
    await storage.write((w) => {
      for (let nid = 1; nid <= 120; nid++) store.enqueuePdu(w, DEST, 7, nid);
      store.enqueuePdu(w, OTHER, 7, 999);
    });
    expect(store.pending(DEST)).toMatchObject({ pdus: 120, inFlight: false });

    const txn = await storage.write((w) => store.takeBatch(w, DEST, spec({ txnId: "first" })));
    expect(txn?.txnId).toBe("first");
    expect(txn?.pduNids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(store.pending(DEST)).toMatchObject({ pdus: 70, inFlight: true });
    // The stored transaction is what a retry (or a restart) sends again.
    await reopen();
    expect(store.txn(DEST)).toEqual({ txnId: "first", originServerTs: 1000, pduNids: txn!.pduNids, edus: [] });
    await expect(storage.write((w) => store.takeBatch(w, DEST, spec()))).rejects.toThrow(/in flight/);

    await storage.write((w) => store.finishTxn(w, DEST));
    const second = await storage.write((w) => store.takeBatch(w, DEST, spec()));
    expect(second?.pduNids[0]).toBe(51);
    expect(store.pending(OTHER).pdus).toBe(1);
  });

  it("keeps queue order across restarts (the sequence counter is durable)", async () => {
    await storage.write((w) => store.enqueuePdu(w, DEST, 1, 10));
    await reopen();
    await storage.write((w) => store.enqueuePdu(w, DEST, 1, 11));
    const txn = await storage.write((w) => store.takeBatch(w, DEST, spec()));
    expect(txn?.pduNids).toEqual([10, 11]);
  });

  it("batches at most 100 EDUs and drops the oldest beyond the per-destination cap", async () => {
    await reopen({ maxPendingEdus: 150 });
    for (let i = 0; i < 200; i++) await storage.write((w) => store.enqueueEdu(w, [DEST, OTHER], JSON.stringify({ edu_type: "m.typing", content: { i } })));
    expect(store.pending(DEST).edus).toBe(150);
    const txn = await storage.write((w) => store.takeBatch(w, DEST, spec()));
    expect(txn?.edus).toHaveLength(100);
    // The 50 oldest went: the batch starts at the 51st EDU, in order.
    expect(txn!.edus.map((e) => (JSON.parse(e) as { content: { i: number } }).content.i)).toEqual(Array.from({ length: 100 }, (_, i) => i + 50));
    expect(store.pending(OTHER).edus).toBe(150);
  });

  it("turns PDUs beyond the cap into one catch-up marker per room, newest wins", async () => {
    await reopen({ maxPendingPdus: 3 });
    const outcomes = await storage.write((w) => [1, 2, 3, 4, 5].map((nid) => store.enqueuePdu(w, DEST, nid <= 4 ? 100 : 200, nid)));
    expect(outcomes).toEqual(["queued", "queued", "queued", "catch_up", "catch_up"]);
    await storage.write((w) => store.enqueuePdu(w, DEST, 100, 6));
    expect(store.pending(DEST)).toMatchObject({ pdus: 3, catchUpRooms: 2 });

    const asked: [number, number][] = [];
    const txn = await storage.write((w) =>
      store.takeBatch(w, DEST, spec({ resolveCatchUp: (room, nid) => (asked.push([room, nid]), [nid, 1000 + room]) })),
    );
    expect(asked.sort()).toEqual([
      [100, 6],
      [200, 5],
    ]);
    // Queued PDUs first, then the catch-up events (duplicates removed), markers consumed.
    expect(txn?.pduNids.slice(0, 3)).toEqual([1, 2, 3]);
    expect(new Set(txn!.pduNids.slice(3))).toEqual(new Set([6, 1100, 5, 1200]));
    expect(store.pending(DEST)).toMatchObject({ pdus: 0, catchUpRooms: 0 });
  });

  it("collapses a backlog into catch-up markers and remembers an outage across restarts", async () => {
    await storage.write((w) => {
      for (const [room, nid] of [[1, 10], [2, 20], [1, 11], [2, 21], [3, 30]] as const) store.enqueuePdu(w, DEST, room, nid);
    });
    const collapsed = await storage.write((w) => {
      store.putRetry(w, DEST, { failures: 5, retryAt: 12345, outage: true });
      return store.collapseToCatchUp(w, DEST);
    });
    expect(collapsed).toBe(5);
    expect(store.pending(DEST)).toMatchObject({ pdus: 0, catchUpRooms: 3 });
    // In an outage new PDUs become markers straight away, after a restart too.
    await reopen();
    expect(store.inOutage(DEST)).toBe(true);
    expect(store.retry(DEST)).toEqual({ failures: 5, retryAt: 12345, outage: true });
    expect(await storage.write((w) => store.enqueuePdu(w, DEST, 4, 40))).toBe("catch_up");
    const markers: Record<number, number> = {};
    await storage.write((w) => store.takeBatch(w, DEST, spec({ resolveCatchUp: (room, nid) => ((markers[room] = nid), [nid]) })));
    expect(markers).toEqual({ 1: 11, 2: 21, 3: 30, 4: 40 });
    await storage.write((w) => store.clearRetry(w, DEST));
    expect(store.inOutage(DEST)).toBe(false);
    expect(store.retry(DEST)).toBeUndefined();
  });

  it("lists every destination with work: queued, in flight, catch-up", async () => {
    await storage.write((w) => {
      store.enqueuePdu(w, "a.test", 1, 1);
      store.enqueueEdu(w, ["b.test", "b.test:8448"], "{}");
      w.put("outboundCatchUp", ["c.test", 1], 5);
    });
    await storage.write((w) => store.enqueuePdu(w, "d.test", 1, 2));
    await storage.write((w) => store.takeBatch(w, "d.test", spec()));
    expect(store.destinationsWithWork().sort()).toEqual(["a.test", "b.test", "b.test:8448", "c.test", "d.test"]);
    expect(store.hasWork("a.test")).toBe(true);
    expect(store.hasWork("e.test")).toBe(false);
    expect(await storage.write((w) => store.takeBatch(w, "e.test", spec()))).toBeUndefined();
  });
});
