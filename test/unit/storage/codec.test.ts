import { describe, expect, it } from "vitest";
import { compareKeys, type Key } from "lmdb";
import { ByteCache } from "../../../src/storage/byte-cache.js";
import { assertKeyFits, boundedKeyString, prefixRange } from "../../../src/storage/keys.js";
import { slotAt } from "../../../src/storage/state-key-hash.js";
import {
  BITMAP_NODE,
  COLLISION_NODE,
  decodeNode,
  encodeNode,
  nodeIdOf,
  popcount,
  type NodeFields,
  type StateNode,
} from "../../../src/storage/state-node.js";

function fieldsOf(n: StateNode): NodeFields {
  const { bytes: _bytes, ...fields } = n;
  return fields;
}

describe("prefixRange", () => {
  const parts: (string | number)[] = [0, 1, 2, -1, 1.5, "", "a", "a\u0000", "a\u0001", "ab", "b", "m.room.member", "é", "\u{10FFFF}", "a\u0000b"];
  const keys: Key[] = [];
  for (const x of parts) {
    keys.push([1, x]);
    for (const y of parts) keys.push([1, x, y], [2, x, y], [0, x, y]);
  }

  it("selects exactly the keys that extend the prefix", () => {
    for (const prefix of [[1], [1, "a"], [1, ""], [1, "m.room.member"], [1, "é"]] as (string | number)[][]) {
      const { start, end } = prefixRange(prefix);
      for (const key of keys) {
        const arr = key as (string | number)[];
        const extends_ = prefix.every((p, i) => arr[i] === p);
        const inRange = compareKeys(key, start) >= 0 && compareKeys(key, end) < 0;
        expect({ key, inRange }).toEqual({ key, inRange: extends_ });
      }
    }
  });

  it("rejects an empty or fractional prefix", () => {
    expect(() => prefixRange([])).toThrow();
    expect(() => prefixRange([1.5])).toThrow();
  });
});

describe("key guards", () => {
  it("accepts spec-sized keys and refuses ones LMDB cannot store", () => {
    expect(() => assertKeyFits([1, "t".repeat(255), "s".repeat(255)])).not.toThrow();
    expect(() => assertKeyFits("é".repeat(900))).not.toThrow();
    expect(() => assertKeyFits("é".repeat(1000))).toThrow(/too large/);
  });

  it("bounds very long strings by digest, leaving short ones as they are", () => {
    expect(boundedKeyString("txn1")).toBe("txn1");
    const long = boundedKeyString("x".repeat(10_000));
    expect(long.length).toBeLessThan(60);
    expect(boundedKeyString("x".repeat(10_000))).toBe(long);
    expect(boundedKeyString("y".repeat(10_000))).not.toBe(long);
  });
});

describe("state node bytes", () => {
  const node: NodeFields = {
    kind: BITMAP_NODE,
    count: 1_000_004,
    dataMap: 0b1000_0000_0000_0101,
    nodeMap: 0b0000_0001_0000_0000,
    keys: ["m.room.create\u0000", `m.room.member\u0000@${"é".repeat(100)}:x`, `t\u0000${"k".repeat(20_000)}`],
    nids: [1, 2 ** 40, 127],
    children: ["AAAAAAAAAAAAAAAAAAAAAA"],
  };

  it("round-trips, including long and non-ASCII keys and large nids", () => {
    const bytes = encodeNode(node);
    const decoded = decodeNode(bytes);
    expect(fieldsOf(decoded)).toEqual(node);
    expect(decoded.bytes).toBe(bytes);
    // Child IDs copied from an existing encoding give the same bytes as encoding the strings.
    expect(Buffer.compare(encodeNode(node, { bufs: [bytes], offs: [bytes.length - 16] }), bytes)).toBe(0);
    const collision: NodeFields = { kind: COLLISION_NODE, count: 2, dataMap: 0, nodeMap: 0, keys: ["a\u0000", "b\u0000"], nids: [5, 6], children: [] };
    expect(fieldsOf(decodeNode(encodeNode(collision)))).toEqual(collision);
  });

  it("is canonical: equal nodes give equal bytes and IDs, different nodes different IDs", () => {
    const a = encodeNode(node);
    const b = encodeNode({ ...node, keys: [...node.keys], nids: [...node.nids] });
    expect(Buffer.compare(a, b)).toBe(0);
    expect(nodeIdOf(a)).toBe(nodeIdOf(b));
    expect(nodeIdOf(a)).toHaveLength(22);
    expect(nodeIdOf(encodeNode({ ...node, nids: [1, 2 ** 40, 128] }))).not.toBe(nodeIdOf(a));
  });

  it("refuses corrupt bytes", () => {
    const bytes = encodeNode(node);
    expect(() => decodeNode(bytes.subarray(0, bytes.length - 1))).toThrow();
    expect(() => decodeNode(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decodeNode(Buffer.from([9, 0]))).toThrow(/kind/);
  });

  it("reads slots 4 bits at a time across all 52 bits", () => {
    const h = 0xfedcb * 2 ** 32 + 0x87654321;
    expect(Array.from({ length: 13 }, (_, d) => slotAt(h, d))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0xb, 0xc, 0xd, 0xe, 0xf]);
    expect(popcount(0xffff)).toBe(16);
    expect(popcount(0b1010)).toBe(2);
  });
});

describe("ByteCache", () => {
  it("keeps recently used entries within its byte budget", () => {
    const c = new ByteCache<number, string>(1000);
    for (let i = 0; i < 100; i++) {
      c.set(i, `v${i}`, 50);
      c.get(0); // keep 0 hot
    }
    expect(c.bytes).toBeLessThanOrEqual(1000 + 50);
    expect(c.get(0)).toBe("v0");
    expect(c.get(99)).toBe("v99");
    expect(c.get(1)).toBeUndefined();
  });
});
