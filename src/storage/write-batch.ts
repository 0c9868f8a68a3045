/**
 * What a write function sees: a buffer of puts and removes that becomes part of one LMDB commit
 * only if the function returns. Nothing touches LMDB while the function runs, so a throwing
 * function leaves nothing behind, in LMDB or in the overlays (see store.ts for the commit).
 *
 * Reads inside a write (`read`) are allowed on `readInWrite` sub-databases only (layout.ts) and
 * see, newest first: this batch's own writes, writes of earlier batches that are queued but not
 * yet committed (the store's pending overlay), then the committed database.
 */
import type { Database, Key } from "lmdb";
import { assertKeyFits, overlayKey } from "./keys.js";
import { LAYOUT, type DbName, type KeyOf, type StoredCounters, type ValueOf } from "./layout.js";

/** A point-in-time way to read a sub-database; `Store.committed`, `Store.pending`, a batch. */
export interface ReadView {
  read<N extends DbName>(name: N, key: KeyOf<N>): ValueOf<N> | undefined;
}

/** Marks a removed key in an overlay. */
export const TOMBSTONE: unique symbol = Symbol("removed");
export type OverlayValue = unknown;

export interface PendingEntry {
  value: OverlayValue;
  /** The batch that wrote it; only that batch's commit may drop the entry. */
  seq: number;
}

/** The part of `Store` a batch uses (kept as an interface to avoid an import cycle). */
export interface BatchHost {
  readonly dbs: { readonly [N in DbName]: Database<ValueOf<N>, KeyOf<N>> };
  readonly pendingOverlay: ReadonlyMap<DbName, Map<string | number, PendingEntry>>;
  allocate(counter: keyof StoredCounters): number;
  assertOpen(): void;
}

export interface Op {
  readonly name: DbName;
  readonly key: Key;
  /** `TOMBSTONE` for a remove. */
  readonly value: unknown;
  /** Overlay identity, set for `readInWrite` sub-databases only. */
  readonly okey: string | number | undefined;
}

export class WriteBatch implements ReadView {
  /** @internal Applied by `Store` in order once the write function has returned. */
  readonly ops: Op[] = [];
  /** @internal Whether any counter was allocated (the store then persists the counters). */
  allocated = false;
  private readonly overlay = new Map<DbName, Map<string | number, OverlayValue>>();

  constructor(
    private readonly host: BatchHost,
    /** @internal Monotonic batch number, tags pending-overlay entries. */
    readonly seq: number,
  ) {}

  put<N extends DbName>(name: N, key: KeyOf<N>, value: ValueOf<N>): void {
    if (value === undefined) throw new TypeError(`storage: undefined value for ${name}`);
    this.record(name, key, value);
  }

  remove<N extends DbName>(name: N, key: KeyOf<N>): void {
    this.record(name, key, TOMBSTONE);
  }

  read<N extends DbName>(name: N, key: KeyOf<N>): ValueOf<N> | undefined {
    if (!LAYOUT[name].readInWrite) {
      throw new Error(`storage: ${name} is not readable inside a write (layout.ts readInWrite)`);
    }
    const okey = overlayKey(key);
    const mine = this.overlay.get(name)?.get(okey);
    if (mine !== undefined) return mine === TOMBSTONE ? undefined : (mine as ValueOf<N>);
    const pending = this.host.pendingOverlay.get(name)?.get(okey);
    if (pending !== undefined) return pending.value === TOMBSTONE ? undefined : (pending.value as ValueOf<N>);
    return this.host.dbs[name].get(key);
  }

  /** Whether this batch already wrote `key` (own writes only; no database read). */
  wrote<N extends DbName>(name: N, key: KeyOf<N>): boolean {
    return this.overlay.get(name)?.has(overlayKey(key)) ?? false;
  }

  /** The next value of an allocation counter (gaps are possible if this write throws). */
  next(counter: keyof StoredCounters): number {
    this.allocated = true;
    return this.host.allocate(counter);
  }

  /** Number of queued operations (for callers that split very large imports). */
  get size(): number {
    return this.ops.length;
  }

  private record(name: DbName, key: Key, value: unknown): void {
    this.host.assertOpen();
    assertKeyFits(key);
    let okey: string | number | undefined;
    if (LAYOUT[name].readInWrite) {
      okey = overlayKey(key);
      let m = this.overlay.get(name);
      if (m === undefined) this.overlay.set(name, (m = new Map()));
      m.set(okey, value);
    }
    this.ops.push({ name, key, value, okey });
  }
}
