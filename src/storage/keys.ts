/**
 * Key helpers shared by the storage modules: prefix ranges over ordered-binary array keys, the
 * key-size guard, and the in-memory identity of a key for the write overlays.
 */
import { createHash } from "node:crypto";
import * as lmdb from "lmdb";
import type { Key } from "lmdb";

// lmdb-js exports its key encoder (ordered-binary's toBufferKey) but its typings omit it.
const keyValueToBuffer = (lmdb as unknown as { keyValueToBuffer: (key: Key) => Uint8Array }).keyValueToBuffer;

/**
 * LMDB's largest key with lmdb-js's default 4 KiB pages (1978 bytes); a bigger key makes the
 * put fail inside the commit, after the write function returned, which would break the
 * all-or-nothing promise of `Store.write`. `WriteBatch` therefore checks every key up front.
 */
export const MAX_KEY_BYTES = 1978;

/**
 * Throws when `key` cannot be stored. Cheap for the common case: an upper bound (3 UTF-8 bytes
 * per UTF-16 unit, 10 bytes per number) decides without encoding unless the key is long.
 */
export function assertKeyFits(key: Key): void {
  if (keyBound(key) <= MAX_KEY_BYTES) return;
  const bytes = keyValueToBuffer(key).length;
  if (bytes > MAX_KEY_BYTES) throw new RangeError(`storage key too large (${bytes} bytes)`);
}

function keyBound(key: Key): number {
  if (typeof key === "string") return key.length * 3 + 2;
  if (typeof key === "number") return 10;
  if (Array.isArray(key)) {
    let n = 1;
    for (const part of key) n += keyBound(part) + 1;
    return n;
  }
  if (key instanceof Uint8Array) return key.length + 2;
  return 16;
}

/**
 * The `{start, end}` range holding exactly the keys that extend `prefix` (plus `prefix`
 * itself). In ordered-binary an array's elements are separated by a 0x00 byte and a NUL inside
 * a string is escaped as 0x04 0x00, so `[...prefix, s + "\0"]` sorts after every `[...prefix, s,
 * …]` and before any other key; an integer element is bounded by its successor.
 */
export function prefixRange(prefix: readonly (string | number)[]): { start: Key[]; end: Key[] } {
  const last = prefix[prefix.length - 1];
  const head = prefix.slice(0, -1) as Key[];
  if (typeof last === "number") {
    if (!Number.isInteger(last)) throw new TypeError("prefixRange: numeric prefix must be an integer");
    return { start: [...head, last], end: [...head, last + 1] };
  }
  if (last === undefined) throw new TypeError("prefixRange: empty prefix");
  return { start: [...head, last], end: [...head, `${last}\u0000`] };
}

/**
 * A key's identity in the in-memory overlays (per sub-database maps). Every sub-database has
 * one key shape, so strings and numbers can be used as they are and arrays as their JSON.
 */
export function overlayKey(key: Key): string | number {
  if (typeof key === "string" || typeof key === "number") return key;
  return JSON.stringify(key);
}

/**
 * A string that can go into a key whatever its length: itself when short, otherwise a NUL
 * sigil plus its SHA-256 (for values the spec does not bound, such as federation transaction
 * IDs). A NUL-prefixed literal colliding with a digest would need a SHA-256 preimage.
 */
export function boundedKeyString(s: string, maxChars = 512): string {
  if (s.length <= maxChars) return s;
  return `\u0000sha256:${createHash("sha256").update(s, "utf8").digest("base64")}`;
}
