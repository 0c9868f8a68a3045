/**
 * Room state as the rules see it: a persistent state map root (storage/state-map.ts) read as
 * an `AuthStateLookup`, and the bridge from stored roots to state resolution
 * (rooms/state-res), which works on event IDs.
 *
 * Resolution never materialises whole maps: the conflicted slots come from `diffMany` (which
 * skips shared sub-trees), and the unconflicted state is read lazily from the first root.
 */
import type { RoomVersion } from "../events/room-versions.js";
import { stateKey, type RoomEvent, type StateKey } from "../events/types.js";
import type { Storage } from "../storage/storage.js";
import type { NodeId } from "../storage/state-node.js";
import type { ReadView, WriteBatch } from "../storage/write-batch.js";
import type { AuthStateLookup } from "./auth/types.js";
import { resolveConflicted } from "./state-res/index.js";
import type { StateResProvider } from "./state-res/index.js";
import type { EventLoader } from "./event-loader.js";

export class StateView implements AuthStateLookup {
  constructor(
    private readonly storage: Storage,
    private readonly loader: EventLoader,
    readonly root: NodeId,
    private readonly view?: WriteBatch,
  ) {}

  get(type: string, sk: string): RoomEvent | undefined {
    const nid = this.storage.state.get(this.root, stateKey(type, sk), this.view);
    return nid === undefined ? undefined : this.loader.byNid(nid, this.view);
  }

  nid(type: string, sk: string): number | undefined {
    return this.storage.state.get(this.root, stateKey(type, sk), this.view);
  }
}

/** The provider state resolution reads events through. */
export function stateResProvider(loader: EventLoader, storage: Storage, view?: ReadView): StateResProvider {
  const nid = (id: string) => storage.events.nidOf(id, view);
  return {
    getEvent: (id) => loader.byId(id, view),
    isRejected: (id) => {
      const n = nid(id);
      return n !== undefined && loader.statusOf(n, view) === "rejected";
    },
    authOrder: (id) => {
      const n = nid(id);
      return (n === undefined ? undefined : loader.authOrderOf(n, view)) ?? 0;
    },
  };
}

/**
 * The resolved state of several state maps (the state before an event with several
 * prev_events, or the current state across several forward extremities), as a new root.
 */
export function resolveRoots(
  storage: Storage,
  loader: EventLoader,
  version: RoomVersion,
  roots: readonly NodeId[],
  w: WriteBatch,
): NodeId {
  const unique = [...new Set(roots)];
  if (unique.length === 0) throw new Error("resolveRoots: no state to resolve");
  if (unique.length === 1) return unique[0]!;
  const base = unique[0]!;
  const conflictedNids = storage.state.diffMany(unique, w);
  const conflicted = new Map<StateKey, (string | undefined)[]>();
  for (const [key, nids] of conflictedNids) {
    conflicted.set(
      key,
      nids.map((n) => (n === undefined ? undefined : storage.events.eventIdOf(n, w))),
    );
  }
  const resolved = resolveConflicted(
    version,
    {
      conflicted,
      unconflicted: {
        get: (key) => {
          if (conflicted.has(key)) return undefined;
          const nid = storage.state.get(base, key, w);
          return nid === undefined ? undefined : storage.events.eventIdOf(nid, w);
        },
        eventIds: function* () {
          for (const [key, nid] of storage.state.entries(base, w)) {
            if (conflicted.has(key)) continue;
            const id = storage.events.eventIdOf(nid, w);
            if (id !== undefined) yield id;
          }
        },
        eventIdsWithAuthOrderAtLeast: function* (floor: number) {
          for (const [key, nid] of storage.state.entries(base, w)) {
            if (conflicted.has(key) || (loader.authOrderOf(nid, w) ?? -1) < floor) continue;
            const id = storage.events.eventIdOf(nid, w);
            if (id !== undefined) yield id;
          }
        },
      },
    },
    stateResProvider(loader, storage, w),
  );
  // Final state = unconflicted ∪ resolved; relative to `base`, only slots that were conflicted
  // or that resolution added (an auth-difference event in a slot no state set had) change.
  const changes = new Map<StateKey, number | null>();
  for (const key of conflicted.keys()) {
    const id = resolved.get(key);
    changes.set(key, id === undefined ? null : storage.events.intern(w, id));
  }
  for (const [key, id] of resolved) {
    if (conflicted.has(key) || storage.state.get(base, key, w) !== undefined) continue;
    changes.set(key, storage.events.intern(w, id));
  }
  return storage.state.applyChanges(w, base, changes);
}
