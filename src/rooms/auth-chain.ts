/**
 * The auth chain of a set of events: their `auth_events`, those events' `auth_events`, and so
 * on (server-server-api.md "Retrieving events" `/state`: "The full set of authorisation events
 * that make up the state of the room, and their authorisation events, recursively").
 *
 * Used by `/state`, `/state_ids`, `/event_auth` and `send_join`. A breadth-first walk over the
 * stored events; the parsed events come from the `EventLoader` cache, which auth checks keep
 * warm with exactly these events (create, power levels, join rules, members). Auth events we
 * never received are skipped: a chain can only contain what we can serve.
 */
import type { EventRecord } from "../storage/events.js";
import type { Storage } from "../storage/storage.js";
import type { ReadView } from "../storage/write-batch.js";
import type { EventLoader } from "./event-loader.js";

/** What the walk reads; `RoomService` and `RoomContext` both fit. */
export interface AuthChainSource {
  readonly storage: Storage;
  readonly loader: EventLoader;
}

export interface AuthChainOptions {
  /** Include the starting events themselves (default false: only their ancestors). */
  readonly includeGiven?: boolean;
  /** Read inside a write batch (default: the committed snapshot). */
  readonly view?: ReadView;
}

/**
 * Nids of the auth chain of the events `fromNids`, each once, in discovery order (nearest
 * first). A starting event that is not held contributes nothing.
 */
export function authChainNids(src: AuthChainSource, fromNids: Iterable<number>, opts: AuthChainOptions = {}): number[] {
  const { view } = opts;
  // A starting event is in the answer only when asked for, or when it is in the auth chain of
  // another starting event (the chain of a set is the union of the members' chains).
  const inAnswer = new Set<number>();
  const expanded = new Set<number>();
  const out: number[] = [];
  let frontier: number[] = [];
  for (const nid of fromNids) {
    if (opts.includeGiven && !inAnswer.has(nid) && src.storage.events.getEventByNid(nid, view) !== undefined) {
      inAnswer.add(nid);
      out.push(nid);
    }
    frontier.push(nid);
  }
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const nid of frontier) {
      if (expanded.has(nid)) continue;
      expanded.add(nid);
      const ev = src.loader.byNid(nid, view);
      if (ev === undefined) continue;
      for (const id of ev.authEvents) {
        const authNid = src.storage.events.nidOf(id, view);
        if (authNid === undefined || inAnswer.has(authNid)) continue;
        // Only events we hold are part of the answer; an interned-but-missing ID is a dead end.
        if (src.storage.events.getEventByNid(authNid, view) === undefined) continue;
        inAnswer.add(authNid);
        out.push(authNid);
        next.push(authNid);
      }
    }
    frontier = next;
  }
  return out;
}

/** `authChainNids` by event ID; unknown IDs are ignored. */
export function authChainIds(src: AuthChainSource, eventIds: readonly string[], opts: AuthChainOptions = {}): string[] {
  const nids: number[] = [];
  for (const id of eventIds) {
    const nid = src.storage.events.nidOf(id, opts.view);
    if (nid !== undefined) nids.push(nid);
  }
  return src.storage.events.eventIdsOf(authChainNids(src, nids, opts), opts.view);
}

/**
 * The auth chain of `fromNids` as records, auth events before the events they authorise (by
 * persist order), which is the order a receiver can check them in.
 */
export function authChainRecords(src: AuthChainSource, fromNids: Iterable<number>, opts: AuthChainOptions = {}): EventRecord[] {
  const records: EventRecord[] = [];
  for (const nid of authChainNids(src, fromNids, opts)) {
    const rec = src.storage.events.getEventByNid(nid, opts.view);
    if (rec !== undefined) records.push(rec);
  }
  return records.sort((a, b) => a.authOrder - b.authOrder);
}
