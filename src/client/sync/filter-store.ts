/**
 * Stored filters (filter.yaml): per user, numbered from 0 in upload order; the ID a client sees
 * is the decimal number, which can never start with `{` ("Cannot start with a `{` as this
 * character is used to determine if the filter provided is inline JSON").
 *
 * Filters never change once stored, so compiled filters are cached (a long-polling client
 * sends the same filter ID on every /sync). Layout: src/storage/layouts/sync.ts.
 */
import { Errors } from "../../errors.js";
import type { JsonObject } from "../../events/types.js";
import { ByteCache } from "../../storage/byte-cache.js";
import { prefixRange } from "../../storage/keys.js";
import type { Storage } from "../../storage/storage.js";
import { compileSyncFilter, DEFAULT_SYNC_FILTER, type SyncFilter } from "../filters.js";

const FILTER_ID = /^\d{1,15}$/;
/** Largest stored filter: filters are small; this bounds what one user can make us keep. */
export const MAX_FILTER_BYTES = 64 * 1024;
const CACHED_FILTERS = 10_000;
const CACHED_INLINE = 1_000;

export class FilterStore {
  private readonly stored = new ByteCache<string, SyncFilter>(CACHED_FILTERS);
  private readonly inline = new ByteCache<string, SyncFilter>(CACHED_INLINE);

  constructor(private readonly storage: Storage) {}

  /** Validate and store a filter; resolves with its ID once durable. */
  async create(userId: string, value: unknown): Promise<string> {
    const def = compileSyncFilter(value).definition;
    const json = JSON.stringify(def);
    if (Buffer.byteLength(json) > MAX_FILTER_BYTES) throw Errors.tooLarge("Filter too large");
    const last = this.lastNumber(userId);
    const n = await this.storage.write((w) => {
      // A number handed out by a write not yet committed is only visible through the batch.
      let next = last + 1;
      while (w.read("syncFilters", [userId, next]) !== undefined) next++;
      w.put("syncFilters", [userId, next], json);
      return next;
    });
    return String(n);
  }

  /** The filter as stored, or undefined. */
  get(userId: string, filterId: string): JsonObject | undefined {
    if (!FILTER_ID.test(filterId)) return undefined;
    const json = this.storage.store.dbs.syncFilters.get([userId, Number(filterId)]);
    return json === undefined ? undefined : (JSON.parse(json) as JsonObject);
  }

  /**
   * The /sync `filter` parameter (sync.yaml): absent → defaults; starting with `{` → inline
   * JSON; otherwise a stored filter ID of the user (400 M_INVALID_PARAM when there is none).
   */
  resolve(userId: string, param: string | null): SyncFilter {
    if (param === null || param === "") return DEFAULT_SYNC_FILTER;
    if (param.startsWith("{")) {
      const hit = this.inline.get(param);
      if (hit !== undefined) return hit;
      let value: unknown;
      try {
        value = JSON.parse(param);
      } catch {
        throw Errors.invalidParam("filter is not valid JSON");
      }
      const compiled = compileSyncFilter(value);
      this.inline.set(param, compiled, 1);
      return compiled;
    }
    const key = `${userId}\u0000${param}`;
    const hit = this.stored.get(key);
    if (hit !== undefined) return hit;
    const def = this.get(userId, param);
    if (def === undefined) throw Errors.invalidParam(`No filter ${param} for this user`);
    const compiled = compileSyncFilter(def);
    this.stored.set(key, compiled, 1);
    return compiled;
  }

  private lastNumber(userId: string): number {
    const range = prefixRange([userId]);
    for (const key of this.storage.store.dbs.syncFilters.getKeys({ start: range.end, end: range.start, reverse: true, limit: 1 })) {
      if (key.length === 2 && key[0] === userId) return key[1];
    }
    return -1;
  }
}
