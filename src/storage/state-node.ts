/**
 * One node of the persistent state map (state-map.ts) and its bytes.
 *
 * The map is a CHAMP-style hash trie: a node has 16 slots; a slot holds nothing, one entry
 * (a leaf: state key → event nid) or a child node. Nodes are immutable and content-addressed:
 * `NodeId` = BLAKE2b-128 of the node bytes. Identical sub-maps therefore have one ID wherever
 * they occur (other events, other rooms) and are stored once, and two maps can be compared
 * sub-tree by sub-tree by ID.
 *
 * Why BLAKE2b (libsodium `crypto_generichash`) truncated to 16 bytes: it is the fastest hash
 * libsodium offers for short inputs (≈2× SHA-256 on the dev VM), and 128 bits make an
 * accidental collision between any two of the (at most billions of) nodes a server stores
 * negligible (~2^-64). A deliberate collision is out of reach too: node bytes hold nids that
 * only this server assigns and slot positions from a secret-keyed hash (state-key-hash.ts), so
 * no remote party knows the bytes it would have to collide with.
 *
 * Bytes (all integers unsigned LEB128 varints unless stated):
 *   kind (1 byte: 1 = bitmap node, 2 = collision node)
 *   count                      entries in the whole sub-tree (so `size` is O(1))
 *   kind 1: dataMap (u16 LE), nodeMap (u16 LE),
 *           per leaf in slot order: nid, key byte length, key (UTF-8)
 *           per child in slot order: 16-byte child NodeId
 *   kind 2: per leaf in key order: nid, key byte length, key (UTF-8)   (count leaves)
 * The encoding is canonical: a given map always yields the same bytes, hence the same ID.
 */
import sodium from "sodium-native";
import type { StateKey } from "../events/types.js";

/** base64url (no padding) of the 16-byte node hash: 22 characters. `""` is the empty map. */
export type NodeId = string;

export const NODE_ID_BYTES = 16;

export const BITMAP_NODE = 1;
export const COLLISION_NODE = 2;

/** A node's content; `StateNode` adds its encoding. */
export interface NodeFields {
  readonly kind: typeof BITMAP_NODE | typeof COLLISION_NODE;
  /** Entries in this sub-tree. */
  readonly count: number;
  /** Bit s set: slot s holds a leaf (bitmap nodes). */
  readonly dataMap: number;
  /** Bit s set: slot s holds a child node (bitmap nodes). */
  readonly nodeMap: number;
  /** Leaf keys in slot order (bitmap) or sorted (collision). */
  readonly keys: readonly StateKey[];
  /** Leaf values, parallel to `keys`. */
  readonly nids: readonly number[];
  /** Child IDs in slot order. */
  readonly children: readonly NodeId[];
}

export interface StateNode extends NodeFields {
  /** The encoded node (its ID is their hash). Child IDs are its last 16 × children bytes. */
  readonly bytes: Buffer;
}

/**
 * Where each child's 16 ID bytes can be copied from (`bufs[i]` at `offs[i]`): the parent being
 * rebuilt, or a freshly hashed child. Copying beats base64-decoding 16 IDs per node.
 */
export interface ChildSources {
  readonly bufs: readonly Uint8Array[];
  readonly offs: readonly number[];
}

/** Builds a node object; every node is made here, so they all share one hidden class. */
export function makeNode(f: NodeFields, bytes: Buffer): StateNode {
  return {
    kind: f.kind,
    count: f.count,
    dataMap: f.dataMap,
    nodeMap: f.nodeMap,
    keys: f.keys,
    nids: f.nids,
    children: f.children,
    bytes,
  };
}

/** Offset in `node.bytes` of child `i`'s ID. */
export function childIdOffset(node: StateNode, i: number): number {
  return node.bytes.length - (node.children.length - i) * NODE_ID_BYTES;
}

let scratch = Buffer.alloc(64 * 1024);
const hashOut = Buffer.alloc(NODE_ID_BYTES);

/** Encodes a node; returns a fresh buffer (it outlives the call in the write queue). */
export function encodeNode(node: NodeFields, src?: ChildSources): Buffer {
  let bound = 24 + node.children.length * NODE_ID_BYTES;
  for (const k of node.keys) bound += 16 + k.length * 3;
  if (bound > scratch.length) scratch = Buffer.alloc(bound * 2);
  const buf = scratch;
  buf[0] = node.kind;
  let pos = writeVarint(buf, 1, node.count);
  if (node.kind === BITMAP_NODE) {
    buf.writeUInt16LE(node.dataMap, pos);
    buf.writeUInt16LE(node.nodeMap, pos + 2);
    pos += 4;
  }
  for (let i = 0; i < node.keys.length; i++) {
    pos = writeVarint(buf, pos, node.nids[i]!);
    const key = node.keys[i]!;
    const lenPos = pos;
    // Reserve the length varint after writing the key would need a second pass; keys are short
    // (≤ 511 bytes by the spec), so write into place and shift only in the rare 3-byte case.
    const written = buf.write(key, lenPos + 2, "utf8");
    if (written < 128) {
      buf.copy(buf, lenPos + 1, lenPos + 2, lenPos + 2 + written);
      buf[lenPos] = written;
      pos = lenPos + 1 + written;
    } else if (written < 16384) {
      buf[lenPos] = (written & 0x7f) | 0x80;
      buf[lenPos + 1] = written >>> 7;
      pos = lenPos + 2 + written;
    } else {
      const bytes = Buffer.from(key, "utf8");
      pos = writeVarint(buf, lenPos, bytes.length);
      pos += bytes.copy(buf, pos);
    }
  }
  for (let i = 0; i < node.children.length; i++) {
    if (src === undefined) {
      buf.write(node.children[i]!, pos, NODE_ID_BYTES, "base64url");
    } else {
      const from = src.bufs[i]!;
      const off = src.offs[i]!;
      for (let k = 0; k < NODE_ID_BYTES; k++) buf[pos + k] = from[off + k]!;
    }
    pos += NODE_ID_BYTES;
  }
  return Buffer.from(buf.subarray(0, pos));
}

/** Decodes node bytes; the node keeps `buf`, so pass a buffer nobody will overwrite. */
export function decodeNode(buf: Uint8Array): StateNode {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const kind = b[0];
  if (kind !== BITMAP_NODE && kind !== COLLISION_NODE) throw new Error(`state node: bad kind ${String(kind)}`);
  let pos = 1;
  const [count, p1] = readVarint(b, pos);
  pos = p1;
  let dataMap = 0;
  let nodeMap = 0;
  let leaves: number;
  let childCount = 0;
  if (kind === BITMAP_NODE) {
    dataMap = b.readUInt16LE(pos);
    nodeMap = b.readUInt16LE(pos + 2);
    pos += 4;
    leaves = popcount(dataMap);
    childCount = popcount(nodeMap);
  } else {
    leaves = count;
  }
  const keys: StateKey[] = new Array(leaves);
  const nids: number[] = new Array(leaves);
  for (let i = 0; i < leaves; i++) {
    const [nid, p2] = readVarint(b, pos);
    const [len, p3] = readVarint(b, p2);
    nids[i] = nid;
    keys[i] = b.toString("utf8", p3, p3 + len);
    pos = p3 + len;
  }
  const children: NodeId[] = new Array(childCount);
  for (let i = 0; i < childCount; i++) {
    children[i] = b.toString("base64url", pos, pos + NODE_ID_BYTES);
    pos += NODE_ID_BYTES;
  }
  if (pos !== b.length) throw new Error("state node: trailing bytes");
  return makeNode({ kind, count, dataMap, nodeMap, keys, nids, children }, b);
}

/** The ID of node bytes; if `raw` is given, the 16 ID bytes are also copied there at `rawOff`. */
export function nodeIdOf(bytes: Uint8Array, raw?: Uint8Array, rawOff = 0): NodeId {
  sodium.crypto_generichash(hashOut, bytes);
  if (raw !== undefined) for (let k = 0; k < NODE_ID_BYTES; k++) raw[rawOff + k] = hashOut[k]!;
  return hashOut.toString("base64url");
}

/** The 16 bytes of a node ID. */
export function nodeIdBytes(id: NodeId): Uint8Array {
  const b = Buffer.from(id, "base64url");
  if (b.length !== NODE_ID_BYTES) throw new Error(`state node: bad node ID ${id}`);
  return b;
}

/** Rough heap footprint of a decoded node, for the cache's byte budget. */
export function nodeFootprint(node: StateNode): number {
  return 128 + node.bytes.length * 2 + node.keys.length * 40 + node.children.length * 64;
}

export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return (x * 0x01010101) >>> 24;
}

function writeVarint(buf: Buffer, pos: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`state node: bad varint ${value}`);
  while (value >= 0x80) {
    buf[pos++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buf[pos++] = value;
  return pos;
}

function readVarint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = buf[pos++];
    if (byte === undefined) throw new Error("state node: truncated");
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos];
    scale *= 0x80;
    if (scale > 2 ** 56) throw new Error("state node: varint too long");
  }
}
