/**
 * The LMDB environment and the one write primitive.
 *
 * ```
 *  actor A ─ write(fnA) ─┐   fnA runs now, synchronously, into its own WriteBatch
 *  actor B ─ write(fnB) ─┤   (throws → nothing queued, promise rejects)
 *  actor C ─ write(fnC) ─┤
 *                        ▼
 *        ops queued with lmdb-js async put/remove, in call order; everything queued in one
 *        event turn becomes ONE LMDB transaction (lmdb-js event-turn batching), committed on
 *        lmdb-js's write thread, so each fn's ops land together or not at all
 *                        ▼
 *        commit + fsync (durable, visible to readers) ──► every write() of that commit resolves
 * ```
 *
 * Lock order (DESIGN.md): room actor → LMDB write transaction. A write function never awaits
 * and never calls into an actor; it only records operations, so it cannot deadlock.
 *
 * Durability ("Durable before acknowledged", DESIGN.md): `write` resolves only after the commit
 * that holds its operations is flushed to disk. lmdb-js offers two ways to get there:
 * - `"commit"` (default): `overlappingSync: false`, the fsync is part of the commit, so the
 *   commit promise resolves once durable, and a reader never sees data that is not durable.
 * - `"overlapping"`: lmdb-js `overlappingSync`: commit without holding the write lock during
 *   the fsync, then wait for the separate `flushed` promise; the next transaction can build
 *   while the previous one syncs, but readers may see a commit before it is durable.
 * Measured on the 2-core dev VM (ext4 on virtio), message events, three runs each:
 *   200 writers × 1 event per write:  overlapping 12k/29k/17k ev/s, commit 17k/27k/20k ev/s;
 *   20 writers × 50 events per write: overlapping 32k/59k/37k ev/s, commit 51k/60k/39k ev/s.
 * No throughput gain from overlapping here, so the default is the simpler guarantee.
 *
 * Reads are plain synchronous getters on `dbs` (lmdb-js keeps a read transaction per event
 * turn and renews it after each commit), outside any transaction.
 */
import fs from "node:fs";
import path from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import sodium from "sodium-native";
import { overlayKey } from "./keys.js";
import {
  LAYOUT,
  LAYOUT_VERSION,
  type DbName,
  type KeyOf,
  type StoredCounters,
  type ValueOf,
} from "./layout.js";
import { TOMBSTONE, WriteBatch, type BatchHost, type PendingEntry, type ReadView } from "./write-batch.js";

export type Durability = "overlapping" | "commit";

export interface StoreOptions {
  durability?: Durability;
  /** Initial map size in bytes; lmdb-js grows it as needed. */
  mapSize?: number;
}

export type Dbs = { readonly [N in DbName]: Database<ValueOf<N>, KeyOf<N>> };

export interface StoreStats {
  pageSize: number;
  /** Pages in use (high-water page number + 1 minus pages on the free list). */
  usedPages: number;
  /** Size of data.mdb on disk. */
  fileBytes: number;
  /** ID of the last committed LMDB transaction (counts commits). */
  lastTxnId: number;
  /** Per sub-database: entries and the bytes of its B-tree pages (branch + leaf + overflow). */
  dbs: Record<DbName, { entries: number; bytes: number }>;
}

interface LmdbStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
  entryCount: number;
  lastPageNumber?: number;
  lastTxnId?: number;
  free?: { treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number; entryCount: number };
}

const INITIAL_COUNTERS: StoredCounters = { eventNid: 1, roomNid: 1, stream: 1, backfill: -1, authOrder: 1 };

/** A write promise from lmdb-js with `separateFlushed`: resolves at commit, `.flushed` after fsync. */
type CommitPromise = Promise<boolean> & { flushed?: Promise<unknown> };

export class Store implements BatchHost {
  readonly dbs: Dbs;
  readonly pendingOverlay: Map<DbName, Map<string | number, PendingEntry>>;
  /** Reads committed data only (what read paths use). */
  readonly committed: ReadView;
  /**
   * Reads committed data plus writes queued but not yet committed (what an actor pipelining
   * several writes uses between them). Nothing read here is durable yet.
   */
  readonly pending: ReadView;

  private readonly counters: StoredCounters;
  private batchSeq = 0;
  private inflight = 0;
  private closed = false;
  /** Set while a write function runs: a nested write would commit out of order. */
  private inWriteFn = false;

  private constructor(
    readonly dir: string,
    private readonly root: RootDatabase,
  ) {
    const dbs: Partial<Record<DbName, Database>> = {};
    const pending = new Map<DbName, Map<string | number, PendingEntry>>();
    for (const name of Object.keys(LAYOUT) as DbName[]) {
      const spec = LAYOUT[name];
      dbs[name] = root.openDB(spec.name, { encoding: spec.encoding });
      if (spec.readInWrite) pending.set(name, new Map());
    }
    this.dbs = dbs as Dbs;
    this.pendingOverlay = pending;
    this.committed = { read: (name, key) => this.dbs[name].get(key) };
    this.pending = {
      read: (name, key) => {
        const entry = this.pendingOverlay.get(name)?.get(overlayKey(key));
        if (entry !== undefined) return entry.value === TOMBSTONE ? undefined : (entry.value as never);
        return this.dbs[name].get(key);
      },
    };
    this.counters = this.loadCounters();
  }

  static open(dir: string, opts: StoreOptions = {}): Store {
    fs.mkdirSync(dir, { recursive: true });
    const overlapping = (opts.durability ?? "commit") === "overlapping";
    const root = open({
      path: dir,
      maxDbs: 128,
      overlappingSync: overlapping,
      separateFlushed: overlapping,
      ...(opts.mapSize !== undefined ? { mapSize: opts.mapSize } : {}),
    });
    const store = new Store(dir, root);
    store.initMeta();
    return store;
  }

  /**
   * Runs `fn` now against a fresh batch and resolves with its result once the batch is
   * committed and flushed. `fn` must be synchronous. If it throws, nothing is written and the
   * promise rejects with its error. Writes from many callers in one event turn share a commit.
   */
  write<T>(fn: (w: WriteBatch) => T): Promise<T> {
    let w: WriteBatch;
    let result: T;
    try {
      this.assertOpen();
      this.assertNotNested();
      w = new WriteBatch(this, ++this.batchSeq);
      this.inWriteFn = true;
      try {
        result = fn(w);
      } finally {
        this.inWriteFn = false;
      }
      if (result instanceof Promise) throw new TypeError("storage: write functions must be synchronous");
    } catch (err) {
      return Promise.reject(err);
    }
    if (w.ops.length === 0 && !w.allocated) return Promise.resolve(result);
    const commit = this.queue(w);
    this.inflight++;
    const durable = commit.flushed ? Promise.all([commit, commit.flushed]) : commit;
    return durable.then(
      () => {
        this.inflight--;
        return result;
      },
      (err: unknown) => {
        this.inflight--;
        throw err;
      },
    );
  }

  /**
   * Synchronous, durable write for CLI tools (blocks the thread through the fsync). Refuses to
   * run while asynchronous writes are in flight: it would commit ahead of them and break the
   * commit order of stream positions.
   */
  writeSync<T>(fn: (w: WriteBatch) => T): T {
    this.assertOpen();
    this.assertNotNested();
    if (this.inflight > 0) throw new Error("storage: writeSync while asynchronous writes are in flight");
    const w = new WriteBatch(this, ++this.batchSeq);
    this.inWriteFn = true;
    let result: T;
    try {
      result = fn(w);
    } finally {
      this.inWriteFn = false;
    }
    if (result instanceof Promise) throw new TypeError("storage: write functions must be synchronous");
    this.root.transactionSync(() => {
      for (const op of w.ops) {
        const db = this.dbs[op.name] as Database;
        if (op.value === TOMBSTONE) db.removeSync(op.key);
        else db.putSync(op.key, op.value);
      }
      if (w.allocated) this.dbs.meta.putSync("counters", { ...this.counters });
    });
    return result;
  }

  /** Waits for every queued write to be flushed, then closes the environment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.flushed;
    await this.root.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stats(): StoreStats {
    const env = this.root.getStats() as LmdbStats;
    const free = env.free;
    const freePages = free ? free.treeBranchPageCount + free.treeLeafPageCount + free.overflowPages : 0;
    const dbs = {} as StoreStats["dbs"];
    for (const name of Object.keys(LAYOUT) as DbName[]) {
      const s = this.dbs[name].getStats() as LmdbStats;
      dbs[name] = {
        entries: s.entryCount,
        bytes: (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages) * s.pageSize,
      };
    }
    let fileBytes = 0;
    try {
      fileBytes = fs.statSync(path.join(this.dir, "data.mdb")).size;
    } catch {
      // a store opened on a file path rather than a directory; leave 0
    }
    return {
      pageSize: env.pageSize,
      usedPages: (env.lastPageNumber ?? 0) + 1 - freePages,
      fileBytes,
      lastTxnId: env.lastTxnId ?? 0,
      dbs,
    };
  }

  /** @internal (BatchHost) */
  allocate(counter: keyof StoredCounters): number {
    const value = this.counters[counter];
    this.counters[counter] = counter === "backfill" ? value - 1 : value + 1;
    return value;
  }

  /** @internal (BatchHost) */
  assertOpen(): void {
    if (this.closed) throw new Error("storage: store is closed");
  }

  private assertNotNested(): void {
    if (this.inWriteFn) throw new Error("storage: write called inside a write function (use the batch you were given)");
  }

  /** Queues a batch's operations; all of them land in the commit of the current event turn. */
  private queue(w: WriteBatch): CommitPromise {
    let last: CommitPromise | undefined;
    const seq = w.seq;
    for (const op of w.ops) {
      const db = this.dbs[op.name] as Database;
      last = (op.value === TOMBSTONE ? db.remove(op.key) : db.put(op.key, op.value)) as CommitPromise;
      if (op.okey !== undefined) this.pendingOverlay.get(op.name)!.set(op.okey, { value: op.value, seq });
    }
    if (w.allocated) last = this.dbs.meta.put("counters", { ...this.counters }) as CommitPromise;
    const drop = (): void => this.dropPending(w);
    last!.then(drop, drop);
    return last!;
  }

  /** After the commit, readers see the data in LMDB; the overlay entries are no longer needed. */
  private dropPending(w: WriteBatch): void {
    for (const op of w.ops) {
      if (op.okey === undefined) continue;
      const m = this.pendingOverlay.get(op.name)!;
      if (m.get(op.okey)?.seq === w.seq) m.delete(op.okey);
    }
  }

  private loadCounters(): StoredCounters {
    const stored = this.dbs.meta.get("counters") as Partial<StoredCounters> | undefined;
    const c: StoredCounters = { ...INITIAL_COUNTERS, ...stored };
    // The counters are written in the same commit as what they allocated; these floors only
    // guard against a hand-edited or partially restored environment.
    c.eventNid = Math.max(c.eventNid, lastNumericKey(this.dbs.eventIds) + 1);
    c.roomNid = Math.max(c.roomNid, lastNumericKey(this.dbs.rooms) + 1);
    c.stream = Math.max(c.stream, lastNumericKey(this.dbs.stream) + 1, lastNumericKey(this.dbs.stateDeltas) + 1);
    return c;
  }

  private initMeta(): void {
    const version = this.dbs.meta.get("layout_version");
    if (version !== undefined && version !== LAYOUT_VERSION) {
      throw new Error(`storage: on-disk layout version ${String(version)}, this build reads ${LAYOUT_VERSION}`);
    }
    if (version === undefined || this.dbs.meta.get("state_hash_key") === undefined) {
      const key = Buffer.alloc(16);
      sodium.randombytes_buf(key);
      this.root.transactionSync(() => {
        this.dbs.meta.putSync("layout_version", LAYOUT_VERSION);
        if (this.dbs.meta.get("state_hash_key") === undefined) this.dbs.meta.putSync("state_hash_key", key);
      });
    }
  }
}

function lastNumericKey(db: Database<unknown, number>): number {
  for (const key of db.getKeys({ reverse: true, limit: 1 })) return key;
  return 0;
}
