/**
 * DESIGN.md "Storage grows with changes, not with state size": the bytes a state change adds
 * must grow like the trie depth (log16 of the member count), not like the member count.
 */
import { afterAll, describe, expect, it } from "vitest";
import { stateKey, type StateKey } from "../../../src/events/types.js";
import { EMPTY_ROOT } from "../../../src/storage/state-map.js";
import type { Storage } from "../../../src/storage/storage.js";
import { prng, tempStorage } from "./helpers.js";

const tmp = tempStorage();
afterAll(() => tmp.cleanup());

const CHANGES = 300;

function member(i: number): StateKey {
  return stateKey("m.room.member", `@member-${i}:server${i % 50}.example.org`);
}

/** Bytes added to the state-node sub-database per single-slot state change. */
async function bytesPerChange(s: Storage, members: number): Promise<{ pageBytes: number; nodeBytes: number }> {
  const full = new Map<StateKey, number>();
  for (let i = 0; i < members; i++) full.set(member(i), i + 1);
  full.set(stateKey("m.room.create", ""), members + 1);
  full.set(stateKey("m.room.power_levels", ""), members + 2);
  let root = await s.write((w) => s.state.applyChanges(w, EMPTY_ROOT, full));
  const before = s.store.stats().dbs.stateNodes;
  const rawBefore = rawBytes(s);
  const rand = prng(members);
  let nid = members + 10;
  // Each change is its own event (its own root), as when a room's members join and leave.
  for (let c = 0; c < CHANGES; c += 50) {
    root = await s.write((w) => {
      let r = root;
      for (let j = 0; j < 50; j++) {
        const i = rand() < 0.5 ? Math.floor(rand() * members) : members + c + j;
        r = s.state.set(w, r, member(i), nid++);
      }
      return r;
    });
  }
  expect(s.state.size(root)).toBeGreaterThan(members);
  const after = s.store.stats().dbs.stateNodes;
  return { pageBytes: (after.bytes - before.bytes) / CHANGES, nodeBytes: (rawBytes(s) - rawBefore) / CHANGES };
}

function rawBytes(s: Storage): number {
  let n = 0;
  for (const { value } of s.store.dbs.stateNodes.getRange()) n += value.length;
  return n;
}

describe("state storage growth", () => {
  it("adds O(log n) bytes per state change: 10k members cost about as much as 1k", async () => {
    const small = await bytesPerChange(tmp.open("g1k"), 1_000);
    const large = await bytesPerChange(tmp.open("g10k"), 10_000);
    // A full copy per event would be ~10× from 1k to 10k (hundreds of KB per change at 10k).
    expect(large.nodeBytes).toBeLessThan(small.nodeBytes * 2);
    expect(large.nodeBytes).toBeLessThan(2_500);
    expect(large.pageBytes).toBeLessThan(small.pageBytes * 2.5);
    expect(large.pageBytes).toBeLessThan(8_192);
  });
});
