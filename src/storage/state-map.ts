/**
 * Persistent, content-addressed state maps: StateKey (`type` NUL `state_key`) → event nid.
 *
 * Why: the state at every event must be retrievable (auth, `/state_ids`, `send_join`), but a
 * full map per event is O(members) per event (DESIGN.md "Storage grows with changes, not with
 * state size"). Here a state event's "state after" differs from its "state before" in one
 * root-to-leaf path: O(depth) = O(log16 n) new nodes, everything else shared (state-node.ts).
 *
 * Structure: a 16-way hash trie in CHAMP form, keyed by a secret-keyed hash of the state key
 * (state-key-hash.ts). It is canonical: a node other than the root never holds a single leaf
 * and nothing else (it collapses into its parent), so the same set of entries always builds
 * the same nodes, whatever order the changes came in. That is what makes structural sharing
 * across rooms work and lets `diff`/`diffMany` skip every sub-tree whose ID is the same on all
 * sides: they cost O(changed slots × depth), not O(state size) — what state resolution needs
 * to find the conflicted slots between the states at several forward extremities.
 *
 * Nodes are cached decoded (bounded by bytes) so hot rooms walk memory, not LMDB.
 */
import type { StateKey } from "../events/types.js";
import { ByteCache } from "./byte-cache.js";
import {
  BITMAP_NODE,
  COLLISION_NODE,
  childIdOffset,
  decodeNode,
  encodeNode,
  makeNode,
  NODE_ID_BYTES,
  nodeFootprint,
  nodeIdBytes,
  nodeIdOf,
  popcount,
  type ChildSources,
  type NodeFields,
  type NodeId,
  type StateNode,
} from "./state-node.js";
import { FANOUT, MAX_DEPTH, sipStateKeyHash, slotAt, type StateKeyHash } from "./state-key-hash.js";
import type { Store } from "./store.js";
import type { WriteBatch } from "./write-batch.js";

export type { NodeId } from "./state-node.js";

/** The root of the empty map. Never stored. */
export const EMPTY_ROOT: NodeId = "";

/** Slot changes: a nid to set, `null` to remove. */
export type StateChanges = ReadonlyMap<StateKey, number | null>;

export interface StateDiffEntry {
  readonly key: StateKey;
  /** Value in the first map, `undefined` when absent. */
  readonly a: number | undefined;
  readonly b: number | undefined;
}

export interface StateMapsOptions {
  /** Budget of the decoded-node cache. */
  cacheBytes?: number;
  /** Override the slot hash (tests use a weak one to force deep paths and collisions). */
  hash?: StateKeyHash;
}

interface Change {
  readonly key: StateKey;
  readonly hash: number;
  readonly nid: number | null;
}

/**
 * What a slot (or a whole sub-tree) holds after applying changes: t = 0 nothing, 1 a leaf
 * (key, nid), 2 a node (id, count; for a node written just now, its ID bytes at raw/rawOff).
 * One class, so the hot loop sees one object shape.
 */
class Content {
  constructor(
    readonly t: 0 | 1 | 2,
    readonly key: StateKey,
    readonly nid: number,
    readonly id: NodeId,
    readonly count: number,
    readonly raw: Uint8Array | null,
    readonly rawOff: number,
  ) {}

  static leaf(key: StateKey, nid: number): Content {
    return new Content(1, key, nid, "", 1, null, 0);
  }

  static node(id: NodeId, count: number, raw: Uint8Array | null = null, rawOff = 0): Content {
    return new Content(2, "", 0, id, count, raw, rawOff);
  }
}

const EMPTY = new Content(0, "", 0, "", 0, null, 0);

/** Node-ID bytes of freshly written nodes, handed to their parents' encoding; never reused. */
class IdArena {
  buf = Buffer.allocUnsafeSlow(64 * 1024);
  pos = 0;

  /** Reserves 16 bytes; returns their offset in `this.buf` (a new buffer when full). */
  take(): number {
    if (this.pos + NODE_ID_BYTES > this.buf.length) {
      this.buf = Buffer.allocUnsafeSlow(64 * 1024);
      this.pos = 0;
    }
    const at = this.pos;
    this.pos += NODE_ID_BYTES;
    return at;
  }
}

/** A side of a diff at some depth: nothing, one leaf, or a node (loaded lazily). */
type Sub = null | { readonly key: StateKey; readonly nid: number } | { readonly id: NodeId; node?: StateNode };

export class StateMaps {
  private readonly cache: ByteCache<NodeId, StateNode>;
  private readonly hash: StateKeyHash;
  private readonly arena = new IdArena();

  constructor(
    private readonly store: Store,
    opts: StateMapsOptions = {},
  ) {
    this.cache = new ByteCache(opts.cacheBytes ?? 64 * 1024 * 1024);
    if (opts.hash) {
      this.hash = opts.hash;
    } else {
      const secret = store.dbs.meta.get("state_hash_key");
      if (!(secret instanceof Uint8Array)) throw new Error("storage: state_hash_key missing from meta");
      this.hash = sipStateKeyHash(secret);
    }
  }

  // ---- reads ----------------------------------------------------------------------------

  /** The nid at `key` in the map `root`, or `undefined`. */
  get(root: NodeId, key: StateKey, w?: WriteBatch): number | undefined {
    if (root === EMPTY_ROOT) return undefined;
    let node = this.load(root, w);
    let h = -1;
    for (let depth = 0; ; depth++) {
      if (node.kind === COLLISION_NODE) {
        const i = node.keys.indexOf(key);
        return i < 0 ? undefined : node.nids[i];
      }
      if (h < 0) h = this.hash(key);
      const bit = 1 << slotAt(h, depth);
      if (node.dataMap & bit) {
        const i = popcount(node.dataMap & (bit - 1));
        return node.keys[i] === key ? node.nids[i] : undefined;
      }
      if (!(node.nodeMap & bit)) return undefined;
      node = this.load(node.children[popcount(node.nodeMap & (bit - 1))]!, w);
    }
  }

  /** Number of entries: O(1), every node records its sub-tree's size. */
  size(root: NodeId, w?: WriteBatch): number {
    return root === EMPTY_ROOT ? 0 : this.load(root, w).count;
  }

  /** Every entry, in trie order (not sorted). */
  *entries(root: NodeId, w?: WriteBatch): IterableIterator<[StateKey, number]> {
    if (root === EMPTY_ROOT) return;
    yield* this.walkEntries(this.load(root, w), w);
  }

  toMap(root: NodeId, w?: WriteBatch): Map<StateKey, number> {
    return new Map(this.entries(root, w));
  }

  /** The slots whose value differs between two maps, with both values. */
  diff(a: NodeId, b: NodeId, w?: WriteBatch): StateDiffEntry[] {
    const out: StateDiffEntry[] = [];
    for (const [key, [va, vb]] of this.diffMany([a, b], w)) out.push({ key, a: va, b: vb });
    return out;
  }

  /**
   * The conflicted slots of several maps (server-server-api.md "Room State Resolution"; the
   * v2 algorithm's "conflicted state set": a slot is unconflicted only if every map holds the
   * same event there, absence counting as a value). Each entry lists every map's value, by
   * index (`undefined` = absent). Everything not returned is the same in all maps, so the
   * resolved state is `applyChanges(roots[0], resolved conflicted slots)`.
   */
  diffMany(roots: readonly NodeId[], w?: WriteBatch): Map<StateKey, (number | undefined)[]> {
    const out = new Map<StateKey, (number | undefined)[]>();
    if (roots.length < 2) return out;
    const subs: Sub[] = roots.map((r) => (r === EMPTY_ROOT ? null : { id: r }));
    this.diffAt(subs, 0, out, w);
    return out;
  }

  // ---- writes ---------------------------------------------------------------------------

  /** The root of `root` with one slot set (`nid`) or removed (`null`). */
  set(w: WriteBatch, root: NodeId, key: StateKey, nid: number | null): NodeId {
    return this.applyChanges(w, root, new Map([[key, nid]]));
  }

  /**
   * The root of `root` with all `changes` applied, writing the new nodes (only those on changed
   * paths) into `w`. Returns `root` itself when nothing actually changes.
   */
  applyChanges(w: WriteBatch, root: NodeId, changes: StateChanges): NodeId {
    if (changes.size === 0) return root;
    const list: Change[] = [];
    for (const [key, nid] of changes) {
      if (nid !== null && (!Number.isSafeInteger(nid) || nid <= 0)) throw new RangeError(`state map: bad nid ${nid}`);
      list.push({ key, hash: this.hash(key), nid });
    }
    const node = root === EMPTY_ROOT ? null : this.load(root, w);
    const r = this.applyNode(w, node, root, 0, list);
    if (r.t === 0) return EMPTY_ROOT;
    if (r.t === 2) return r.id;
    // A one-entry map: the root is the one node allowed to hold a single leaf.
    const bit = 1 << slotAt(this.hash(r.key), 0);
    return this.writeNode(w, { kind: BITMAP_NODE, count: 1, dataMap: bit, nodeMap: 0, keys: [r.key], nids: [r.nid], children: [] }).id;
  }

  // ---- internals ------------------------------------------------------------------------

  /** Loads a node: cache, this batch, queued-but-uncommitted writes, then LMDB. */
  private load(id: NodeId, w?: WriteBatch): StateNode {
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    let bytes: Uint8Array | undefined;
    if (w !== undefined && w.wrote("stateNodes", id)) bytes = w.read("stateNodes", id);
    if (bytes === undefined) {
      const pending = this.store.pendingOverlay.get("stateNodes")?.get(id);
      // getBinary copies: the decoded node keeps its bytes.
      bytes = pending !== undefined ? (pending.value as Uint8Array) : this.store.dbs.stateNodes.getBinary(id);
    }
    if (bytes === undefined) throw new Error(`storage: state node ${id} is missing`);
    const node = decodeNode(bytes);
    this.cache.set(id, node, nodeFootprint(node));
    return node;
  }

  private writeNode(w: WriteBatch, fields: NodeFields, src?: ChildSources): Content {
    const bytes = encodeNode(fields, src);
    const arena = this.arena;
    const rawOff = arena.take();
    const raw = arena.buf;
    const id = nodeIdOf(bytes, raw, rawOff);
    // Content-addressed: an existing node with this ID has these bytes. Re-putting one that is
    // already committed is harmless (same bytes) and cheaper on the main thread than a lookup.
    if (!w.wrote("stateNodes", id)) w.put("stateNodes", id, bytes);
    const node = makeNode(fields, bytes);
    this.cache.set(id, node, nodeFootprint(node));
    return Content.node(id, fields.count, raw, rawOff);
  }

  private applyNode(w: WriteBatch, node: StateNode | null, id: NodeId, depth: number, changes: Change[]): Content {
    if (depth >= MAX_DEPTH) return this.applyCollision(w, node, id, changes);
    const dataMap = node === null ? 0 : node.dataMap;
    const nodeMap = node === null ? 0 : node.nodeMap;
    // Group by slot. Only touched slots (usually one) are visited; the rest are copied below.
    const buckets: (Change[] | undefined)[] = [];
    let touched = 0;
    for (const c of changes) {
      const s = slotAt(c.hash, depth);
      if (touched & (1 << s)) buckets[s]!.push(c);
      else {
        touched |= 1 << s;
        buckets[s] = [c];
      }
    }
    const results: (Content | undefined)[] = [];
    let count = node === null ? 0 : node.count;
    let changed = false;
    for (let s = 0; s < FANOUT; s++) {
      const bit = 1 << s;
      if (!(touched & bit)) continue;
      let old = EMPTY;
      if (dataMap & bit) {
        const i = popcount(dataMap & (bit - 1));
        old = Content.leaf(node!.keys[i]!, node!.nids[i]!);
      } else if (nodeMap & bit) {
        old = Content.node(node!.children[popcount(nodeMap & (bit - 1))]!, -1);
      }
      const now = this.applySlot(w, old, depth + 1, buckets[s]!);
      if (now !== old) {
        changed = true;
        results[s] = now;
        count += now.count - this.lastOldCount;
      }
    }
    if (!changed) return node === null ? EMPTY : Content.node(id, node.count);
    if (count === 0) return EMPTY;
    const keys: StateKey[] = [];
    const nids: number[] = [];
    const children: NodeId[] = [];
    const bufs: Uint8Array[] = [];
    const offs: number[] = [];
    let newData = 0;
    let newNodes = 0;
    let li = 0;
    let ci = 0;
    for (let s = 0; s < FANOUT; s++) {
      const bit = 1 << s;
      const r = results[s];
      if (r === undefined) {
        if (dataMap & bit) {
          newData |= bit;
          keys.push(node!.keys[li]!);
          nids.push(node!.nids[li]!);
        } else if (nodeMap & bit) {
          newNodes |= bit;
          children.push(node!.children[ci]!);
          bufs.push(node!.bytes);
          offs.push(childIdOffset(node!, ci));
        }
      } else if (r.t === 1) {
        newData |= bit;
        keys.push(r.key);
        nids.push(r.nid);
      } else if (r.t === 2) {
        newNodes |= bit;
        children.push(r.id);
        bufs.push(r.raw ?? nodeIdBytes(r.id));
        offs.push(r.raw === null ? 0 : r.rawOff);
      }
      if (dataMap & bit) li++;
      else if (nodeMap & bit) ci++;
    }
    // Canonical form: below the root, a lone leaf moves up into the parent's slot.
    if (depth > 0 && keys.length === 1 && children.length === 0) return Content.leaf(keys[0]!, nids[0]!);
    return this.writeNode(w, { kind: BITMAP_NODE, count, dataMap: newData, nodeMap: newNodes, keys, nids, children }, { bufs, offs });
  }

  /** The old entry count of the slot `applySlot` last changed (saves a tuple per call). */
  private lastOldCount = 0;

  /** Applies a slot's changes; returns the new content (=== old when unchanged). */
  private applySlot(w: WriteBatch, old: Content, depth: number, bucket: Change[]): Content {
    if (old.t === 2) {
      const child = this.load(old.id, w);
      const now = this.applyNode(w, child, old.id, depth, bucket);
      this.lastOldCount = child.count;
      return now.t === 2 && now.id === old.id ? old : now;
    }
    this.lastOldCount = old.t; // an empty slot held 0 entries, a leaf 1
    // Empty or one leaf: the slot's new entries, then build whatever they need.
    const entries: Change[] = [];
    let same = true;
    if (old.t === 1) {
      let upd: Change | undefined;
      for (const c of bucket) if (c.key === old.key) upd = c;
      if (upd === undefined) entries.push({ key: old.key, hash: this.hash(old.key), nid: old.nid });
      else if (upd.nid !== null) {
        entries.push(upd);
        if (upd.nid !== old.nid) same = false;
      } else same = false;
    }
    for (const c of bucket) {
      if (c.nid !== null && !(old.t === 1 && c.key === old.key)) {
        entries.push(c);
        same = false;
      }
    }
    if (same) return old;
    if (entries.length === 0) return EMPTY;
    if (entries.length === 1) return Content.leaf(entries[0]!.key, entries[0]!.nid!);
    const built = this.applyNode(w, null, EMPTY_ROOT, depth, entries);
    this.lastOldCount = old.t;
    return built;
  }

  /** Depth 13: the 52-bit hash is used up; entries are kept sorted by key. */
  private applyCollision(w: WriteBatch, node: StateNode | null, id: NodeId, changes: Change[]): Content {
    const map = new Map<StateKey, number>();
    if (node) for (let i = 0; i < node.keys.length; i++) map.set(node.keys[i]!, node.nids[i]!);
    let changed = false;
    for (const c of changes) {
      const cur = map.get(c.key);
      if (c.nid === null) {
        if (cur !== undefined) {
          map.delete(c.key);
          changed = true;
        }
      } else if (cur !== c.nid) {
        map.set(c.key, c.nid);
        changed = true;
      }
    }
    if (!changed) return node === null ? EMPTY : Content.node(id, node.count);
    if (map.size === 0) return EMPTY;
    const keys = [...map.keys()].sort();
    if (keys.length === 1) return Content.leaf(keys[0]!, map.get(keys[0]!)!);
    const nids = keys.map((k) => map.get(k)!);
    return this.writeNode(w, { kind: COLLISION_NODE, count: keys.length, dataMap: 0, nodeMap: 0, keys, nids, children: [] });
  }

  private *walkEntries(node: StateNode, w: WriteBatch | undefined): IterableIterator<[StateKey, number]> {
    for (let i = 0; i < node.keys.length; i++) yield [node.keys[i]!, node.nids[i]!];
    for (const child of node.children) yield* this.walkEntries(this.load(child, w), w);
  }

  private diffAt(subs: Sub[], depth: number, out: Map<StateKey, (number | undefined)[]>, w: WriteBatch | undefined): void {
    const first = subs[0]!;
    let allSame = true;
    let anyNode = false;
    for (const s of subs) {
      if (allSame && !sameSub(s, first)) allSame = false;
      if (s !== null && "id" in s) anyNode = true;
    }
    if (allSame) return;
    if (!anyNode || depth >= MAX_DEPTH) {
      this.compareEntries(subs, out, w);
      return;
    }
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i]!;
      if (s === null || !("id" in s) || s.node !== undefined) continue;
      // Sides often share a node: load each distinct ID once.
      const twin = subs.find((o, j) => j < i && o !== null && "id" in o && o.id === s.id) as { node?: StateNode } | undefined;
      s.node = twin?.node ?? this.load(s.id, w);
    }
    for (let slot = 0; slot < FANOUT; slot++) {
      const bit = 1 << slot;
      if (this.slotSame(subs, slot, depth, bit)) continue;
      let any = false;
      const next: Sub[] = new Array(subs.length);
      for (let i = 0; i < subs.length; i++) {
        const s = subs[i]!;
        let n: Sub = null;
        if (s !== null) {
          if ("id" in s) {
            const node = s.node!;
            if (node.dataMap & bit) {
              const j = popcount(node.dataMap & (bit - 1));
              n = { key: node.keys[j]!, nid: node.nids[j]! };
            } else if (node.nodeMap & bit) {
              n = { id: node.children[popcount(node.nodeMap & (bit - 1))]! };
            }
          } else if (slotAt(this.hash(s.key), depth) === slot) {
            n = s;
          }
        }
        if (n !== null) any = true;
        next[i] = n;
      }
      if (any) this.diffAt(next, depth + 1, out, w);
    }
  }

  /** Whether every side holds the same thing in `slot` (nothing, one leaf, or one child ID). */
  private slotSame(subs: Sub[], slot: number, depth: number, bit: number): boolean {
    let kind = -1;
    let key: StateKey | undefined;
    let val: number | NodeId | undefined;
    for (const s of subs) {
      let k = 0;
      let sk: StateKey | undefined;
      let sv: number | NodeId | undefined;
      if (s !== null) {
        if ("id" in s) {
          const node = s.node!;
          if (node.dataMap & bit) {
            const j = popcount(node.dataMap & (bit - 1));
            k = 1;
            sk = node.keys[j];
            sv = node.nids[j];
          } else if (node.nodeMap & bit) {
            k = 2;
            sv = node.children[popcount(node.nodeMap & (bit - 1))];
          }
        } else if (slotAt(this.hash(s.key), depth) === slot) {
          k = 1;
          sk = s.key;
          sv = s.nid;
        }
      }
      if (kind === -1) {
        kind = k;
        key = sk;
        val = sv;
      } else if (k !== kind || sk !== key || sv !== val) {
        return false;
      }
    }
    return true;
  }

  /** Small or collision-level sides: enumerate and compare directly. */
  private compareEntries(subs: Sub[], out: Map<StateKey, (number | undefined)[]>, w: WriteBatch | undefined): void {
    const values = new Map<StateKey, (number | undefined)[]>();
    subs.forEach((s, i) => {
      if (s === null) return;
      const entries: Iterable<[StateKey, number]> = "id" in s ? this.walkEntries(s.node ?? this.load(s.id, w), w) : [[s.key, s.nid]];
      for (const [k, v] of entries) {
        let arr = values.get(k);
        if (arr === undefined) values.set(k, (arr = new Array<number | undefined>(subs.length).fill(undefined)));
        arr[i] = v;
      }
    });
    for (const [k, arr] of values) {
      if (arr.some((v) => v !== arr[0])) out.set(k, arr);
    }
  }
}

function sameSub(a: Sub, b: Sub): boolean {
  if (a === null || b === null) return a === b;
  if ("id" in a) return "id" in b && a.id === b.id;
  return !("id" in b) && a.key === b.key && a.nid === b.nid;
}
