/**
 * Where a state key sits in the state-map trie: a 52-bit keyed hash, read 4 bits per level.
 *
 * Why keyed (SipHash-2-4, libsodium `crypto_shorthash`, with a random per-server secret kept in
 * the `meta` sub-database): remote servers choose state keys (a malicious server can mint
 * thousands of members). With a public hash they could pick keys that share a long hash prefix
 * and force deep paths or big collision nodes, making every state change cost O(members). With
 * a secret key they cannot predict where a key lands.
 *
 * Why 52 bits: the hash is kept in one JS number (exact below 2^53), 13 levels of 16-way fan-out.
 * A full 52-bit collision is handled (a collision node at depth 13), just never expected: a
 * 100k-entry map has a ~1e-6 chance of holding one.
 */
import sodium from "sodium-native";
import type { StateKey } from "../events/types.js";

export type StateKeyHash = (key: StateKey) => number;

export const BITS_PER_LEVEL = 4;
export const FANOUT = 1 << BITS_PER_LEVEL;
/** Levels a 52-bit hash covers; a node at this depth is a collision node. */
export const MAX_DEPTH = 13;

const TWO_32 = 4294967296;

/** The slot (0–15) of hash `h` at trie depth `depth` (< MAX_DEPTH). */
export function slotAt(h: number, depth: number): number {
  if (depth < 8) return ((h >>> 0) >>> (depth * 4)) & 15;
  return (Math.floor(h / TWO_32) >>> ((depth - 8) * 4)) & 15;
}

/** Hash cache size: the hot keys of busy rooms stay hashed; cleared wholesale when full. */
const CACHE_LIMIT = 200_000;

/** SipHash-2-4 of the key's UTF-8 bytes under `secret` (16 bytes), truncated to 52 bits. */
export function sipStateKeyHash(secret: Uint8Array): StateKeyHash {
  if (secret.length !== sodium.crypto_shorthash_KEYBYTES) throw new RangeError("state hash key must be 16 bytes");
  const key = Buffer.from(secret);
  const out = Buffer.alloc(sodium.crypto_shorthash_BYTES);
  const scratch = Buffer.alloc(2048);
  const cache = new Map<StateKey, number>();
  return (k: StateKey): number => {
    const hit = cache.get(k);
    if (hit !== undefined) return hit;
    // State keys are ≤ 511 bytes by the spec's size limits; longer ones still hash correctly.
    const input = k.length * 3 <= scratch.length ? scratch.subarray(0, scratch.write(k, 0, "utf8")) : Buffer.from(k, "utf8");
    sodium.crypto_shorthash(out, input, key);
    const h = (out.readUInt32LE(4) & 0xfffff) * TWO_32 + out.readUInt32LE(0);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(k, h);
    return h;
  };
}
