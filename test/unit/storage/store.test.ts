import { afterAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { Store } from "../../../src/storage/store.js";
import { tempDir } from "../../helpers/temp.js";

const dir = tempDir("conflux-store-");
afterAll(() => dir.cleanup());

let n = 0;
function fresh(durability: "overlapping" | "commit" = "overlapping"): { path: string; store: Store } {
  const path = join(dir.path, `s${n++}`);
  return { path, store: Store.open(path, { durability }) };
}

describe("Store.write", () => {
  for (const durability of ["overlapping", "commit"] as const) {
    it(`round-trips and survives close + reopen (${durability})`, async () => {
      const { path, store } = fresh(durability);
      const result = await store.write((w) => {
        w.put("roomNids", "!a:x", 7);
        w.put("eventEdges", [1, 2], 1);
        return "done";
      });
      expect(result).toBe("done");
      expect(store.dbs.roomNids.get("!a:x")).toBe(7);
      expect(store.dbs.eventEdges.get([1, 2])).toBe(1);
      await store.close();
      const again = Store.open(path, { durability });
      expect(again.dbs.roomNids.get("!a:x")).toBe(7);
      expect(again.dbs.eventEdges.get([1, 2])).toBe(1);
      await again.close();
    });
  }

  it("a throwing write function leaves nothing behind", async () => {
    const { path, store } = fresh();
    await expect(
      store.write((w) => {
        w.put("roomNids", "!gone:x", 1);
        w.put("rooms", 1, ["!gone:x", "11", null, 0, true]);
        w.next("roomNid");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    // A later write commits; the failed one must not ride along with it.
    await store.write((w) => w.put("roomNids", "!kept:x", 2));
    expect(store.dbs.roomNids.get("!gone:x")).toBeUndefined();
    expect(store.dbs.rooms.get(1)).toBeUndefined();
    expect(store.pending.read("roomNids", "!gone:x")).toBeUndefined();
    await store.close();
    const again = Store.open(path);
    expect(again.dbs.roomNids.get("!gone:x")).toBeUndefined();
    expect(again.dbs.roomNids.get("!kept:x")).toBe(2);
    await again.close();
  });

  it("rejects, with nothing written, a key too large for LMDB", async () => {
    const { store } = fresh();
    await expect(
      store.write((w) => {
        w.put("roomNids", "!ok:x", 1);
        w.put("roomNids", "x".repeat(3000), 2);
      }),
    ).rejects.toThrow(/too large/);
    await store.write((w) => w.put("roomNids", "!other:x", 3));
    expect(store.dbs.roomNids.get("!ok:x")).toBeUndefined();
    await store.close();
  });

  it("rejects asynchronous write functions without writing", async () => {
    const { store } = fresh();
    await expect(
      store.write(async (w) => {
        w.put("roomNids", "!async:x", 1);
      }),
    ).rejects.toThrow(/synchronous/);
    await store.write((w) => w.put("roomNids", "!other:x", 3));
    expect(store.dbs.roomNids.get("!async:x")).toBeUndefined();
    await store.close();
  });

  it("batches many concurrent writers into shared commits, each write atomic", async () => {
    const { store } = fresh();
    const before = store.stats().lastTxnId;
    const actors = 100;
    const perActor = 20;
    const failedKeys: string[] = [];
    await Promise.all(
      Array.from({ length: actors }, async (_, a) => {
        for (let i = 0; i < perActor; i++) {
          const fail = i % 7 === 3;
          const p = store.write((w) => {
            w.put("roomNids", `!${a}-${i}:x`, a * 1000 + i);
            w.put("eventEdges", [a, i], 1);
            if (fail) throw new Error("actor failure");
            w.put("roomHosts", [a, `s${i}`], i + 1);
          });
          if (fail) {
            failedKeys.push(`!${a}-${i}:x`);
            await expect(p).rejects.toThrow("actor failure");
          } else {
            await p;
          }
        }
      }),
    );
    for (let a = 0; a < actors; a++) {
      for (let i = 0; i < perActor; i++) {
        const ok = i % 7 !== 3;
        expect(store.dbs.roomNids.get(`!${a}-${i}:x`)).toBe(ok ? a * 1000 + i : undefined);
        expect(store.dbs.eventEdges.get([a, i])).toBe(ok ? 1 : undefined);
        expect(store.dbs.roomHosts.get([a, `s${i}`])).toBe(ok ? i + 1 : undefined);
      }
    }
    const commits = store.stats().lastTxnId - before;
    const writes = actors * perActor - failedKeys.length;
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThan(writes / 10);
    await store.close();
  });

  it("lets a write read its own writes and earlier queued ones; readers see only commits", async () => {
    const { store } = fresh();
    const first = store.write((w) => {
      w.put("roomNids", "!r:x", 1);
      expect(w.read("roomNids", "!r:x")).toBe(1);
      w.remove("roomNids", "!r:x");
      expect(w.read("roomNids", "!r:x")).toBeUndefined();
      w.put("roomNids", "!r:x", 2);
    });
    // Queued, not committed: committed readers do not see it, the pending view does.
    expect(store.committed.read("roomNids", "!r:x")).toBeUndefined();
    expect(store.pending.read("roomNids", "!r:x")).toBe(2);
    const second = store.write((w) => {
      const seen = w.read("roomNids", "!r:x");
      w.put("roomNids", "!r2:x", (seen ?? 0) + 10);
      return seen;
    });
    expect(await second).toBe(2);
    await first;
    expect(store.committed.read("roomNids", "!r2:x")).toBe(12);
    expect(store.pendingOverlay.get("roomNids")!.size).toBe(0);
    await store.close();
  });

  it("refuses reads inside a write of sub-databases that are write-only there", async () => {
    const { store } = fresh();
    await expect(store.write((w) => w.read("roomStream", [1, 1]))).rejects.toThrow(/not readable inside a write/);
    await store.close();
  });

  it("persists allocation counters so nids are never reused", async () => {
    const { path, store } = fresh();
    const a = await store.write((w) => [w.next("eventNid"), w.next("eventNid"), w.next("backfill")]);
    await expect(
      store.write((w) => {
        w.next("eventNid");
        throw new Error("x");
      }),
    ).rejects.toThrow();
    await store.close();
    const again = Store.open(path);
    const b = await again.write((w) => [w.next("eventNid"), w.next("backfill")]);
    expect(a).toEqual([1, 2, -1]);
    expect(b[0]).toBeGreaterThan(2);
    expect(b[1]).toBe(-2);
    await again.close();
  });

  it("writeSync commits synchronously and refuses while async writes are in flight", async () => {
    const { path, store } = fresh();
    expect(store.writeSync((w) => (w.put("roomNids", "!sync:x", 5), "ok"))).toBe("ok");
    expect(store.dbs.roomNids.get("!sync:x")).toBe(5);
    expect(() => store.writeSync(() => { throw new Error("no"); })).toThrow("no");
    const p = store.write((w) => w.put("roomNids", "!async:x", 6));
    expect(() => store.writeSync((w) => w.put("roomNids", "!late:x", 1))).toThrow(/in flight/);
    await p;
    await store.close();
    const again = Store.open(path);
    expect(again.dbs.roomNids.get("!sync:x")).toBe(5);
    expect(again.dbs.roomNids.get("!late:x")).toBeUndefined();
    await again.close();
  });

  it("refuses a write started inside another write function", async () => {
    const { store } = fresh();
    let nested: Promise<void> | undefined;
    await expect(
      store.write((w) => {
        w.put("roomNids", "!outer:x", 1);
        nested = store.write((inner) => inner.put("roomNids", "!inner:x", 2));
        nested.catch(() => undefined);
        return store.writeSync((inner) => inner.put("roomNids", "!inner2:x", 3));
      }),
    ).rejects.toThrow(/inside a write function/);
    await expect(nested).rejects.toThrow(/inside a write function/);
    await store.write((w) => w.put("roomNids", "!after:x", 4));
    expect(store.dbs.roomNids.get("!outer:x")).toBeUndefined();
    expect(store.dbs.roomNids.get("!inner:x")).toBeUndefined();
    await store.close();
  });

  it("rejects writes after close", async () => {
    const { store } = fresh();
    await store.close();
    await expect(store.write((w) => w.put("roomNids", "!x:x", 1))).rejects.toThrow(/closed/);
  });
});
