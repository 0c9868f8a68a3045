/**
 * The storage façade the server holds: one LMDB environment (`store`) and the modules that
 * give its sub-databases meaning. A new module is a new file plus one field here; a new
 * sub-database is one entry in layout.ts.
 */
import { EventStore } from "./events.js";
import { persistEvents, type PersistEventInput, type PersistOptions, type PersistedEvent } from "./persist-events.js";
import { RoomStore } from "./rooms.js";
import { ServerKeyStore } from "./server-keys.js";
import { StateMaps, type StateMapsOptions } from "./state-map.js";
import { Store, type StoreOptions } from "./store.js";
import { TxnStore } from "./txns.js";
import type { WriteBatch } from "./write-batch.js";

export interface StorageOptions extends StoreOptions {
  stateMaps?: StateMapsOptions;
}

export class Storage {
  readonly events: EventStore;
  readonly rooms: RoomStore;
  readonly state: StateMaps;
  readonly serverKeys: ServerKeyStore;
  readonly txns: TxnStore;

  private constructor(readonly store: Store, opts: StorageOptions) {
    this.events = new EventStore(store);
    this.rooms = new RoomStore(store);
    this.state = new StateMaps(store, opts.stateMaps);
    this.serverKeys = new ServerKeyStore(store);
    this.txns = new TxnStore(store);
  }

  static open(dir: string, opts: StorageOptions = {}): Storage {
    return new Storage(Store.open(dir, opts), opts);
  }

  /** See `Store.write`: atomic, resolves once durable. */
  write<T>(fn: (w: WriteBatch) => T): Promise<T> {
    return this.store.write(fn);
  }

  writeSync<T>(fn: (w: WriteBatch) => T): T {
    return this.store.writeSync(fn);
  }

  /** See persist-events.ts: a room's events, extremities and current state in one batch. */
  persistEvents(w: WriteBatch, roomNid: number, events: readonly PersistEventInput[], opts?: PersistOptions): PersistedEvent[] {
    return persistEvents(this, w, roomNid, events, opts);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
