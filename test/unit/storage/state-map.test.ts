import { afterAll, describe, expect, it } from "vitest";
import { stateKey, type StateKey } from "../../../src/events/types.js";
import { EMPTY_ROOT, type NodeId, type StateChanges } from "../../../src/storage/state-map.js";
import { decodeNode } from "../../../src/storage/state-node.js";
import type { StateKeyHash } from "../../../src/storage/state-key-hash.js";
import type { Storage } from "../../../src/storage/storage.js";
import { prng, tempStorage } from "./helpers.js";

const tmp = tempStorage();
afterAll(() => tmp.cleanup());

/** A hash with 61 values: most keys share deep paths and many collide in all 52 bits. */
const weakHash: StateKeyHash = (k) => {
  let h = 0;
  for (let i = 0; i < k.length; i++) h = (h * 31 + k.charCodeAt(i)) % 61;
  return h;
};

function keyOf(i: number): StateKey {
  return i % 5 === 0 ? stateKey(`m.room.type${i % 7}`, "") : stateKey("m.room.member", `@user${i}:s${i % 13}.example`);
}

function refDiff(maps: Map<StateKey, number>[]): Map<StateKey, (number | undefined)[]> {
  const keys = new Set<StateKey>();
  for (const m of maps) for (const k of m.keys()) keys.add(k);
  const out = new Map<StateKey, (number | undefined)[]>();
  for (const k of keys) {
    const vals = maps.map((m) => m.get(k));
    if (vals.some((v) => v !== vals[0])) out.set(k, vals);
  }
  return out;
}

/** Node IDs reachable from a root (reads LMDB, bypassing the cache). */
function reachable(s: Storage, root: NodeId): Set<NodeId> {
  const seen = new Set<NodeId>();
  const stack = root === EMPTY_ROOT ? [] : [root];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const bytes = s.store.dbs.stateNodes.get(id);
    if (bytes === undefined) throw new Error(`node ${id} not stored`);
    stack.push(...decodeNode(bytes).children);
  }
  return seen;
}

function depthOf(s: Storage, root: NodeId): number {
  let max = 0;
  const walk = (id: NodeId, d: number): void => {
    max = Math.max(max, d);
    for (const c of decodeNode(s.store.dbs.stateNodes.get(id)!).children) walk(c, d + 1);
  };
  if (root !== EMPTY_ROOT) walk(root, 1);
  return max;
}

async function propertyRun(s: Storage, seed: number, steps: number, keySpace: number): Promise<void> {
  const rand = prng(seed);
  const history: { root: NodeId; ref: Map<StateKey, number> }[] = [{ root: EMPTY_ROOT, ref: new Map() }];
  let nid = 1;
  for (let step = 0; step < steps; step++) {
    // Several changes per write, sometimes several applyChanges per write (pipelined roots),
    // sometimes starting from an older root (branches of the DAG).
    const writes = 1 + Math.floor(rand() * 3);
    await s.write((w) => {
      for (let j = 0; j < writes; j++) {
        const base = rand() < 0.8 ? history[history.length - 1]! : history[Math.floor(rand() * history.length)]!;
        const changes = new Map<StateKey, number | null>();
        const count = rand() < 0.1 ? 40 : 1 + Math.floor(rand() * 4);
        for (let c = 0; c < count; c++) {
          const k = keyOf(Math.floor(rand() * keySpace));
          const r = rand();
          changes.set(k, r < 0.3 ? null : r < 0.4 && base.ref.has(k) ? base.ref.get(k)! : nid++);
        }
        const root = s.state.applyChanges(w, base.root, changes);
        const ref = new Map(base.ref);
        for (const [k, v] of changes) {
          if (v === null) ref.delete(k);
          else ref.set(k, v);
        }
        history.push({ root, ref });
        // Reads inside the same write see the nodes it just wrote.
        expect(s.state.size(root, w)).toBe(ref.size);
      }
    });
    const cur = history[history.length - 1]!;
    expect(s.state.size(cur.root)).toBe(cur.ref.size);
    for (let q = 0; q < 20; q++) {
      const k = keyOf(Math.floor(rand() * keySpace));
      expect(s.state.get(cur.root, k)).toBe(cur.ref.get(k));
    }
    if (step % 10 === 0) {
      expect(new Map(s.state.entries(cur.root))).toEqual(cur.ref);
      const a = history[Math.floor(rand() * history.length)]!;
      const b = history[Math.floor(rand() * history.length)]!;
      const got = new Map(s.state.diff(a.root, b.root).map((d) => [d.key, [d.a, d.b]]));
      expect(got).toEqual(refDiff([a.ref, b.ref]));
      const picks = Array.from({ length: 2 + Math.floor(rand() * 3) }, () => history[Math.floor(rand() * history.length)]!);
      expect(s.state.diffMany(picks.map((p) => p.root))).toEqual(refDiff(picks.map((p) => p.ref)));
    }
  }
  // Canonical form: rebuilding the final map from scratch, in another order, gives the same root.
  const final = history[history.length - 1]!;
  const shuffled = [...final.ref].sort(() => rand() - 0.5);
  const rebuilt = await s.write((w) => s.state.applyChanges(w, EMPTY_ROOT, new Map(shuffled)));
  expect(rebuilt).toBe(final.root);
}

describe("state map", () => {
  it("matches a reference Map on random operation sequences (keyed hash)", async () => {
    await propertyRun(tmp.open("prop-sip"), 1234, 150, 400);
  });

  it("matches a reference Map with a colliding hash (deep paths, collision nodes)", async () => {
    const s = tmp.open("prop-weak", { stateMaps: { hash: weakHash } });
    await propertyRun(s, 99, 150, 300);
    let collisionNodes = 0;
    for (const { value } of s.store.dbs.stateNodes.getRange()) if (value[0] === 2) collisionNodes++;
    expect(collisionNodes).toBeGreaterThan(0);
  });

  it("stays correct with a tiny node cache (everything re-read from LMDB)", async () => {
    await propertyRun(tmp.open("prop-tiny", { stateMaps: { cacheBytes: 2000 } }), 7, 60, 200);
  });

  it("is canonical: the same entries reached by different histories have one root", async () => {
    const s = tmp.open("canon");
    const roots = await s.write((w) => {
      const direct = s.state.applyChanges(w, EMPTY_ROOT, new Map([[keyOf(1), 1], [keyOf(2), 2], [keyOf(3), 3]]));
      let r = EMPTY_ROOT;
      for (let i = 10; i < 200; i++) r = s.state.set(w, r, keyOf(i), i);
      r = s.state.set(w, r, keyOf(2), 2);
      r = s.state.set(w, r, keyOf(3), 99);
      const removeAll = new Map<StateKey, number | null>();
      for (let i = 10; i < 200; i++) removeAll.set(keyOf(i), null);
      removeAll.set(keyOf(1), 1);
      removeAll.set(keyOf(3), 3);
      return [direct, s.state.applyChanges(w, r, removeAll)];
    });
    expect(roots[1]).toBe(roots[0]);
  });

  it("returns the same root, writing nothing, when changes change nothing", async () => {
    const s = tmp.open("noop");
    const root = await s.write((w) => s.state.applyChanges(w, EMPTY_ROOT, new Map([[keyOf(1), 1], [keyOf(2), 2]])));
    const before = s.store.stats().dbs.stateNodes.entries;
    const same = await s.write((w) => {
      const r = s.state.applyChanges(w, root, new Map<StateKey, number | null>([[keyOf(1), 1], [keyOf(999), null]]));
      expect(w.size).toBe(0);
      return r;
    });
    expect(same).toBe(root);
    expect(s.store.stats().dbs.stateNodes.entries).toBe(before);
    const empty = await s.write((w) => s.state.applyChanges(w, root, new Map([[keyOf(1), null], [keyOf(2), null]])));
    expect(empty).toBe(EMPTY_ROOT);
    expect(s.state.size(empty)).toBe(0);
    expect([...s.state.entries(empty)]).toEqual([]);
  });

  it("shares all but O(depth) nodes between maps that differ in one slot, across rooms too", async () => {
    const s = tmp.open("sharing");
    const big = new Map<StateKey, number>();
    for (let i = 0; i < 5000; i++) big.set(keyOf(i + 10_000), i + 1);
    const a = await s.write((w) => s.state.applyChanges(w, EMPTY_ROOT, big));
    const entriesBefore = s.store.stats().dbs.stateNodes.entries;
    const b = await s.write((w) => s.state.set(w, a, stateKey("m.room.member", "@new:x"), 77_777));
    const depth = depthOf(s, b);
    const nodesA = reachable(s, a);
    const nodesB = reachable(s, b);
    const onlyB = [...nodesB].filter((id) => !nodesA.has(id));
    expect(depth).toBeGreaterThanOrEqual(3);
    expect(onlyB.length).toBeLessThanOrEqual(depth);
    expect(s.store.stats().dbs.stateNodes.entries - entriesBefore).toBe(onlyB.length);
    expect(s.state.diff(a, b)).toEqual([{ key: stateKey("m.room.member", "@new:x"), a: undefined, b: 77_777 }]);
    // Another room whose state is the same sub-map stores nothing new.
    const c = await s.write((w) => s.state.applyChanges(w, EMPTY_ROOT, big));
    expect(c).toBe(a);
    expect(s.store.stats().dbs.stateNodes.entries - entriesBefore).toBe(onlyB.length);
  });

  it("diffMany touches only the changed paths (counts node loads)", async () => {
    const s = tmp.open("diffcost", { stateMaps: { cacheBytes: 1 } });
    const big = new Map<StateKey, number>();
    for (let i = 0; i < 20_000; i++) big.set(keyOf(i + 50_000), i + 1);
    const base = await s.write((w) => s.state.applyChanges(w, EMPTY_ROOT, big));
    const roots = await s.write((w) => [
      s.state.set(w, base, keyOf(1), 1),
      s.state.set(w, base, keyOf(2), 2),
      s.state.set(w, base, keyOf(50_000), null),
    ]);
    const db = s.store.dbs.stateNodes;
    const original = db.getBinaryFast.bind(db);
    let loads = 0;
    db.getBinaryFast = (id: string) => {
      loads++;
      return original(id);
    };
    try {
      const conflicted = s.state.diffMany(roots);
      expect([...conflicted.keys()].sort()).toEqual([keyOf(1), keyOf(2), keyOf(50_000)].sort());
      const old = big.get(keyOf(50_000))!;
      expect(conflicted.get(keyOf(50_000))).toEqual([old, old, undefined]);
    } finally {
      db.getBinaryFast = original;
    }
    // Three changed paths of depth ≤ 5 in three maps: far below the ~1,500 nodes of a map.
    expect(loads).toBeGreaterThan(3);
    expect(loads).toBeLessThan(3 * 3 * 6);
  });

  it("keeps roots readable after close and reopen", async () => {
    const s = tmp.open("reopen");
    const changes: StateChanges = new Map(Array.from({ length: 300 }, (_, i) => [keyOf(i), i + 1] as const));
    const root = await s.write((w) => s.state.applyChanges(w, EMPTY_ROOT, changes));
    await s.close();
    const again = tmp.open("reopen");
    expect(again.state.toMap(root)).toEqual(changes);
    expect(again.state.get(root, keyOf(17))).toBe(18);
  });

  it("rejects nids that are not positive integers", async () => {
    const s = tmp.open("badnid");
    await expect(s.write((w) => s.state.set(w, EMPTY_ROOT, keyOf(1), 0))).rejects.toThrow(/bad nid/);
    await expect(s.write((w) => s.state.set(w, EMPTY_ROOT, keyOf(1), 1.5))).rejects.toThrow(/bad nid/);
  });
});
