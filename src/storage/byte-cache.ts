/**
 * A byte-bounded cache with approximate LRU eviction by generations: entries go into the young
 * generation; when it exceeds half the budget it becomes the old one and the previous old one
 * is dropped. A hit in the old generation is copied back into the young one. Hot entries thus
 * survive, memory stays within the budget (each generation ≤ half of it), and a hit costs one
 * Map lookup, with no per-hit list reordering. (Reordering a JavaScript Map on every hit —
 * delete then set — is a trap: V8 keeps the holes and rehashes the whole table every few
 * operations, measured at ~10 µs per hit on a 12k-entry map.)
 */
export class ByteCache<K, V> {
  private young = new Map<K, { value: V; size: number }>();
  private old = new Map<K, { value: V; size: number }>();
  private youngBytes = 0;
  private oldBytes = 0;
  private readonly genBytes: number;

  constructor(maxBytes: number) {
    this.genBytes = Math.max(1, Math.floor(maxBytes / 2));
  }

  get(key: K): V | undefined {
    const y = this.young.get(key);
    if (y !== undefined) return y.value;
    const o = this.old.get(key);
    if (o === undefined) return undefined;
    this.add(key, o);
    return o.value;
  }

  set(key: K, value: V, size: number): void {
    if (this.young.has(key)) return;
    this.add(key, { value, size });
  }

  /** Approximate bytes held (both generations). */
  get bytes(): number {
    return this.youngBytes + this.oldBytes;
  }

  get entries(): number {
    return this.young.size + this.old.size;
  }

  /** Drop one entry (its value changed underneath, e.g. a redaction rewrote a stored event). */
  delete(key: K): void {
    const y = this.young.get(key);
    if (y !== undefined) {
      this.young.delete(key);
      this.youngBytes -= y.size;
    }
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.oldBytes -= o.size;
    }
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = this.oldBytes = 0;
  }

  private add(key: K, entry: { value: V; size: number }): void {
    this.young.set(key, entry);
    this.youngBytes += entry.size;
    if (this.youngBytes > this.genBytes) {
      this.old = this.young;
      this.oldBytes = this.youngBytes;
      this.young = new Map();
      this.youngBytes = 0;
    }
  }
}
