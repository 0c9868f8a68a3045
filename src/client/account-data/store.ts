/**
 * Account data (client-server "Client Config"): per user, global and per room, one JSON object
 * per event type. "There is no inheritance mechanism here": a type missing from a room's
 * account data does not fall back to the global one, so the two scopes are separate keys.
 * Layout: src/storage/layouts/account-data.ts.
 *
 * Stream. Every change gets a position on this store's own stream (sync token component `a`),
 * allocated inside the write, so positions increase in commit order; `position()` is the
 * highest committed one and `changes(user, from, to)` reads one range of that user's rows. An
 * entry keeps one stream row, at its latest position: a sync only ever gets an entry's latest
 * content ("each type at its latest content").
 *
 * Server-managed types (`m.push_rules`): the stored content is the server's own record, and
 * what clients see is derived from it by a `ManagedType` the owning module installs
 * (`manage`). Such types are always present for every user: an initial sync and GET
 * account_data give their derived default even before anything was stored (push rules: the
 * server-default rules, push.md "Push Rules: Events").
 *
 * This is the `AccountDataSource` /sync reads (src/client/sync/account-data.ts) and the lookup
 * invite blocking asks (src/rooms/membership/invite-permission.ts); both are connected where
 * the account-data routes are registered (routes.ts).
 */
import type { AccountDataChanges, AccountDataEvent, AccountDataSource } from "../sync/account-data.js";
import type { JsonObject } from "../../events/types.js";
import { prefixRange } from "../../storage/keys.js";
import { GLOBAL_SCOPE } from "../../storage/layouts/account-data.js";
import type { Storage } from "../../storage/storage.js";
import type { WriteBatch } from "../../storage/write-batch.js";

/** A global account-data type whose client view the server derives from its own record. */
export interface ManagedType {
  /** What clients see, given the stored record (`undefined` before the first change). */
  present(userId: string, stored: JsonObject | undefined): JsonObject;
}

/**
 * Computes an entry's next content from its current (stored) content inside the write; returns
 * `undefined` to leave it unchanged. May throw: nothing is then written.
 */
export type AccountDataUpdate = (current: JsonObject | undefined) => JsonObject | undefined;

export type AccountDataListener = (userId: string) => void;

export class AccountDataStore implements AccountDataSource {
  private readonly listeners = new Set<AccountDataListener>();
  private readonly managed = new Map<string, ManagedType>();

  constructor(private readonly storage: Storage) {}

  /** Install the client view of a server-managed global type (once, at start-up). */
  manage(type: string, managed: ManagedType): void {
    this.managed.set(type, managed);
  }

  // ---- reads (committed) ------------------------------------------------------------------

  /** The content a client sees; `roomId` undefined for global account data. */
  get(userId: string, roomId: string | undefined, type: string): JsonObject | undefined {
    const stored = this.stored(userId, roomId, type);
    const managed = roomId === undefined ? this.managed.get(type) : undefined;
    return managed === undefined ? stored : managed.present(userId, stored);
  }

  /** The stored content as written (for the module that owns a managed type). */
  stored(userId: string, roomId: string | undefined, type: string): JsonObject | undefined {
    const row = this.storage.store.dbs.accountData.get([userId, roomId ?? GLOBAL_SCOPE, type]);
    return row === undefined ? undefined : (JSON.parse(row[1]) as JsonObject);
  }

  position(): number {
    return this.storage.store.dbs.accountDataMeta.get("position") ?? 0;
  }

  changes(userId: string, from: number | undefined, to: number): AccountDataChanges {
    const global: AccountDataEvent[] = [];
    const rooms = new Map<string, AccountDataEvent[]>();
    const add = (roomId: string, type: string, contentJson: string): void => {
      const content = JSON.parse(contentJson) as JsonObject;
      if (roomId === GLOBAL_SCOPE) {
        const managed = this.managed.get(type);
        global.push({ type, content: managed === undefined ? content : managed.present(userId, content) });
        return;
      }
      let list = rooms.get(roomId);
      if (list === undefined) rooms.set(roomId, (list = []));
      list.push({ type, content });
    };
    const dbs = this.storage.store.dbs;
    if (from === undefined) {
      // Initial sync: everything, at its current content (an entry changed after `to` comes
      // again in the next incremental sync, which is harmless).
      const seen = new Set<string>();
      for (const { key, value } of dbs.accountData.getRange(prefixRange([userId]))) {
        if (key.length !== 3) continue;
        if (key[1] === GLOBAL_SCOPE) seen.add(key[2]);
        add(key[1], key[2], value[1]);
      }
      for (const [type, managed] of this.managed) {
        if (!seen.has(type)) global.push({ type, content: managed.present(userId, undefined) });
      }
      return { global, rooms };
    }
    const range = { start: [userId, from], end: [userId, to], exclusiveStart: true, inclusiveEnd: true };
    for (const { value } of dbs.accountDataStream.getRange(range)) {
      const [roomId, type] = value;
      const row = dbs.accountData.get([userId, roomId, type]);
      if (row !== undefined) add(roomId, type, row[1]);
    }
    return { global, rooms };
  }

  /** Called with the owner of every committed change, in commit order. */
  onChange(listener: AccountDataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- writes -----------------------------------------------------------------------------

  /** Set one entry; resolves with its stream position once durable. */
  async put(userId: string, roomId: string | undefined, type: string, content: JsonObject): Promise<number> {
    return (await this.update(userId, roomId, type, () => content))!;
  }

  /**
   * Read-modify-write of one entry, atomic with respect to every other write (the function
   * runs inside the write and reads through it). Resolves with the new position, or undefined
   * when `fn` left the entry unchanged.
   */
  async update(userId: string, roomId: string | undefined, type: string, fn: AccountDataUpdate): Promise<number | undefined> {
    const pos = await this.storage.write((w) => {
      const scope = roomId ?? GLOBAL_SCOPE;
      const prev = w.read("accountData", [userId, scope, type]);
      const next = fn(prev === undefined ? undefined : (JSON.parse(prev[1]) as JsonObject));
      if (next === undefined) return undefined;
      return this.putIn(w, userId, scope, type, next, prev?.[0]);
    });
    if (pos !== undefined) for (const l of this.listeners) l(userId);
    return pos;
  }

  /** The `/read_markers` path (`m.fully_read`), through the /sync source interface. */
  async putRoomAccountData(userId: string, roomId: string, type: string, content: JsonObject): Promise<void> {
    await this.put(userId, roomId, type, content);
  }

  private putIn(w: WriteBatch, userId: string, scope: string, type: string, content: JsonObject, prevPos: number | undefined): number {
    const pos = (w.read("accountDataMeta", "position") ?? 0) + 1;
    w.put("accountDataMeta", "position", pos);
    if (prevPos !== undefined) w.remove("accountDataStream", [userId, prevPos]);
    w.put("accountDataStream", [userId, pos], [scope, type]);
    w.put("accountData", [userId, scope, type], [pos, JSON.stringify(content)]);
    return pos;
  }
}

const stores = new WeakMap<Storage, AccountDataStore>();

/** The one `AccountDataStore` of a `Storage` (its listeners and managed types are shared). */
export function accountDataStore(storage: Storage): AccountDataStore {
  let s = stores.get(storage);
  if (s === undefined) stores.set(storage, (s = new AccountDataStore(storage)));
  return s;
}
