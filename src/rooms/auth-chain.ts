/**
 * The auth chain of a set of events: their `auth_events`, those events' `auth_events`, and so
 * on (server-server-api.md "Retrieving events" `/state`: "The full set of authorisation events
 * that make up the state of the room, and their authorisation events, recursively").
 *
 * Used by `/state`, `/state_ids`, `/event_auth` and `send_join`. The one walk they share is
 * breadth-first over stored records and has to stay fast for a 100k-member room's state (a
 * send_join answer must take under a second):
 * - each record's `auth_events` are read out of its stored JSON text (auth-events-text.ts), not
 *   from a parsed PDU: parsing 100k PDUs costs more than the rest of the walk together, and
 *   they would push the events auth checks need out of the `EventLoader` cache;
 * - most events name the same few auth events (create, power levels, join rules), so each
 *   referenced ID is looked up once, however often it is named;
 * - the answer list doubles as the walk's queue, in discovery order (nearest first).
 * Auth events we never received are skipped: a chain can only contain what we can serve.
 */
import type { EventRecord } from "../storage/events.js";
import type { Storage } from "../storage/storage.js";
import type { ReadView } from "../storage/write-batch.js";
import { authEventIdsOfJson } from "./auth-events-text.js";

/** What the walk reads; `RoomService` and `RoomContext` both fit. */
export interface AuthChainSource {
  readonly storage: Storage;
}

export interface AuthChainOptions {
  /** Include the starting events themselves (default false: only their ancestors). */
  readonly includeGiven?: boolean;
  /** Read inside a write batch (default: the committed snapshot). */
  readonly view?: ReadView;
}

/**
 * Records of the auth chain of the records `from`, each once, in discovery order (nearest
 * first). A starting event is in the answer only when `includeGiven` asks for it or when it is
 * in the auth chain of another starting event (the chain of a set is the union of the
 * members' chains).
 */
export function walkAuthChain(src: AuthChainSource, from: Iterable<EventRecord>, opts: AuthChainOptions = {}): EventRecord[] {
  const { view } = opts;
  const events = src.storage.events;
  const out: EventRecord[] = [];
  const inAnswer = new Set<number>();
  const given = new Set<number>();
  const looked = new Set<string>();

  const expand = (rec: EventRecord): void => {
    for (const id of authEventIdsOfJson(rec.pduJson)) {
      // Whether an ID is in the answer is settled the first time it is named.
      if (looked.has(id)) continue;
      looked.add(id);
      const nid = events.nidOf(id, view);
      if (nid === undefined || inAnswer.has(nid)) continue;
      // Only events we hold are part of the answer; an interned-but-missing ID is a dead end.
      const auth = events.getEventByNid(nid, view);
      if (auth === undefined) continue;
      inAnswer.add(nid);
      out.push(auth);
    }
  };

  const starts: EventRecord[] = [];
  for (const rec of from) {
    if (given.has(rec.nid)) continue;
    given.add(rec.nid);
    starts.push(rec);
    if (opts.includeGiven) {
      inAnswer.add(rec.nid);
      out.push(rec);
    }
  }
  for (const rec of starts) expand(rec);
  for (let i = 0; i < out.length; i++) {
    const rec = out[i]!;
    if (!given.has(rec.nid)) expand(rec);
  }
  return out;
}

/** Records of held events among `nids`, in order; nids of events not held are dropped. */
function recordsOf(src: AuthChainSource, nids: Iterable<number>, view: ReadView | undefined): EventRecord[] {
  const out: EventRecord[] = [];
  for (const nid of nids) {
    const rec = src.storage.events.getEventByNid(nid, view);
    if (rec !== undefined) out.push(rec);
  }
  return out;
}

/**
 * Nids of the auth chain of the events `fromNids`, each once, in discovery order (nearest
 * first). A starting event that is not held contributes nothing.
 */
export function authChainNids(src: AuthChainSource, fromNids: Iterable<number>, opts: AuthChainOptions = {}): number[] {
  return walkAuthChain(src, recordsOf(src, fromNids, opts.view), opts).map((rec) => rec.nid);
}

/** `authChainNids` by event ID; unknown IDs are ignored. */
export function authChainIds(src: AuthChainSource, eventIds: readonly string[], opts: AuthChainOptions = {}): string[] {
  const from: EventRecord[] = [];
  for (const id of eventIds) {
    const rec = src.storage.events.getEvent(id, opts.view);
    if (rec !== undefined) from.push(rec);
  }
  return walkAuthChain(src, from, opts).map((rec) => rec.eventId);
}

/**
 * The auth chain of `fromNids` as records, auth events before the events they authorise (by
 * persist order), which is the order a receiver can check them in.
 */
export function authChainRecords(src: AuthChainSource, fromNids: Iterable<number>, opts: AuthChainOptions = {}): EventRecord[] {
  return inAuthOrder(walkAuthChain(src, recordsOf(src, fromNids, opts.view), opts));
}

/** Sorts `records` in place so every event comes after its auth events (`authOrder`). */
export function inAuthOrder(records: EventRecord[]): EventRecord[] {
  return records.sort((a, b) => a.authOrder - b.authOrder);
}
