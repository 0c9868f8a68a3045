/**
 * Account data as /sync sees it (client-server-api "Client Config": global `account_data` and
 * each room's `account_data`). The store is src/client/account-data/store.ts (its sub-databases
 * in src/storage/layouts/account-data.ts); it plugs in here with `setAccountDataSource(app,
 * source)`, and /sync, the sync notifier and `/read_markers` (`m.fully_read`) use it through
 * this interface. Until one is installed, account data sections are empty.
 */
import type { App } from "../../app.js";
import type { JsonObject } from "../../events/types.js";

export interface AccountDataEvent {
  readonly type: string;
  readonly content: JsonObject;
}

export interface AccountDataChanges {
  readonly global: readonly AccountDataEvent[];
  /** Room ID → that room's changed account data. */
  readonly rooms: ReadonlyMap<string, readonly AccountDataEvent[]>;
}

export interface AccountDataSource {
  /** The highest committed position of the account-data stream (token component `a`). */
  position(): number;
  /**
   * A user's account data that changed in (from, to], each type at its latest content; `from`
   * undefined means all of it (initial sync).
   */
  changes(userId: string, from: number | undefined, to: number): AccountDataChanges;
  /** Called with the user whose account data changed, after the change is committed. */
  onChange(listener: (userId: string) => void): () => void;
  /** Set one room account data event (the `m.fully_read` marker of /read_markers). */
  putRoomAccountData(userId: string, roomId: string, type: string, content: JsonObject): Promise<void>;
}

type Listener = (source: AccountDataSource) => void;

const sources = new WeakMap<App, AccountDataSource>();
const waiting = new WeakMap<App, Listener[]>();

export function setAccountDataSource(app: App, source: AccountDataSource): void {
  sources.set(app, source);
  for (const l of waiting.get(app) ?? []) l(source);
  waiting.delete(app);
}

export function accountDataSourceOf(app: App): AccountDataSource | undefined {
  return sources.get(app);
}

/** Run `listener` with the source once it is installed (now, if it already is). */
export function whenAccountDataSource(app: App, listener: Listener): void {
  const s = sources.get(app);
  if (s !== undefined) {
    listener(s);
    return;
  }
  let list = waiting.get(app);
  if (list === undefined) waiting.set(app, (list = []));
  list.push(listener);
}
