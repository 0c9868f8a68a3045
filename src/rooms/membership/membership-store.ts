/**
 * Pending memberships of local users: invites and knocks, including rooms this server is not
 * in (client-server /sync `rooms.invite` / `rooms.knock`; server-server "Inviting to a room",
 * "Knocking upon a room"). Layout: src/storage/layouts/membership.ts.
 *
 * Writers:
 * - federation `/invite` (src/federation/membership/invite.ts) when a remote server invites a
 *   local user;
 * - the outbound side when a local user knocks on a remote room (`putKnock` with the
 *   `knock_room_state` the resident returned), joins, or rejects / retracts (`removePending`);
 * - `trackPendingMemberships` (pending-tracker.ts), which follows our rooms' committed member
 *   events: an accepted invite/knock of a local user is put, any other membership of that
 *   user in that room removes the entry.
 *
 * Every change gets a position on this store's own stream (`membershipStream`), so /sync asks
 * "what changed since my token" with one range scan (`since`) and waits for news with
 * `onChange` — the same shape as the EDU streams (src/edu/index.ts): `position` is the highest
 * committed position, `since(pos)` returns nothing newer than it, and every change is announced
 * once, after it is visible to `since`. Positions are allocated inside the write, so they
 * increase in commit order.
 *
 * An invite replaces a knock for the same room: "invites are used to indicate that knocks were
 * accepted … receiving servers should be prepared to manually link up a previous knock to an
 * invite" (server-server "Inviting to a room").
 */
import type { Pdu } from "../../events/types.js";
import { prefixRange } from "../../storage/keys.js";
import type { PendingKindCode, StoredMembershipChange, StoredPendingMembership } from "../../storage/layouts/membership.js";
import type { Storage } from "../../storage/storage.js";
import type { WriteBatch } from "../../storage/write-batch.js";
import type { StrippedStateEvent } from "./stripped-state.js";

export type PendingKind = "invite" | "knock";

export interface PendingMembershipInput {
  readonly userId: string;
  readonly roomId: string;
  readonly roomVersion: string;
  /** The invite / knock event as signed (federation form), object or JSON text. */
  readonly event: Pdu | string;
  /** Already pruned to stripped state (stripped-state.ts). */
  readonly strippedState: readonly StrippedStateEvent[];
  /** The server that told us; omit when the event came through one of our rooms. */
  readonly origin?: string;
  readonly receivedTs?: number;
}

export interface PendingMembership {
  readonly kind: PendingKind;
  readonly userId: string;
  readonly roomId: string;
  readonly roomVersion: string;
  /** Stream position of the last change to this entry. */
  readonly pos: number;
  readonly eventJson: string;
  readonly event: Pdu;
  readonly strippedState: StrippedStateEvent[];
  readonly origin: string | undefined;
  readonly receivedTs: number;
}

export interface MembershipChange {
  readonly pos: number;
  readonly kind: PendingKind;
  readonly userId: string;
  readonly roomId: string;
  /** The entry was removed (rejected, retracted, superseded); otherwise it was put. */
  readonly removed: boolean;
  /** A removal by a leave handshake: the user's leave event (federation form). */
  readonly leave?: EndingLeave;
}

/** The leave event that ended a pending invite or knock of a room we are not in. */
export interface EndingLeave {
  readonly eventId: string;
  readonly event: Pdu;
}

export type MembershipChangeListener = (change: MembershipChange) => void;

const DB = { invite: "membershipInvites", knock: "membershipKnocks" } as const;
const KIND_CODE: Record<PendingKind, PendingKindCode> = { invite: 0, knock: 1 };
const KIND_BY_CODE: readonly PendingKind[] = ["invite", "knock"];

export class MembershipStore {
  private readonly listeners = new Set<MembershipChangeListener>();

  constructor(private readonly storage: Storage) {}

  // ---- writes --------------------------------------------------------------------------

  putInvite(input: PendingMembershipInput): Promise<number> {
    return this.commit((w) => this.putIn(w, "invite", input)).then((c) => c[c.length - 1]!.pos);
  }

  putKnock(input: PendingMembershipInput): Promise<number> {
    return this.commit((w) => this.putIn(w, "knock", input)).then((c) => c[c.length - 1]!.pos);
  }

  /**
   * Resolves with the change's position, or undefined when there was nothing to remove.
   * `leave`: the leave event that ended it (rejecting a remote invite), for /sync.
   */
  removeInvite(userId: string, roomId: string, leave?: EndingLeave): Promise<number | undefined> {
    return this.commit((w) => this.removeIn(w, "invite", userId, roomId, leave)).then((c) => c[0]?.pos);
  }

  /**
   * Both of the user's pending entries for the room, in one write: what ends them (a join, a
   * leave handshake, a local rejection) ends whichever there is.
   */
  async removePending(userId: string, roomId: string, leave?: EndingLeave): Promise<void> {
    await this.commit((w) => [...this.removeIn(w, "invite", userId, roomId, leave), ...this.removeIn(w, "knock", userId, roomId, leave)]);
  }

  /**
   * `put` inside a caller's write (e.g. together with a room event). The caller must pass the
   * returned changes to `notify` after its write resolves. Putting an invite also removes a
   * knock for the same room (see the file comment).
   */
  putIn(w: WriteBatch, kind: PendingKind, input: PendingMembershipInput): MembershipChange[] {
    const changes: MembershipChange[] = [];
    if (kind === "invite") {
      const knock = this.removeIn(w, "knock", input.userId, input.roomId);
      changes.push(...knock);
    }
    const pos = this.nextPosition(w);
    const eventJson = typeof input.event === "string" ? input.event : JSON.stringify(input.event);
    const stored: StoredPendingMembership = [
      pos,
      input.roomVersion,
      eventJson,
      JSON.stringify(input.strippedState),
      input.origin ?? null,
      input.receivedTs ?? Date.now(),
    ];
    w.put(DB[kind], [input.userId, input.roomId], stored);
    w.put("membershipStream", pos, [KIND_CODE[kind], input.userId, input.roomId, false]);
    changes.push({ pos, kind, userId: input.userId, roomId: input.roomId, removed: false });
    return changes;
  }

  /** `remove` inside a caller's write; empty when there was no such entry. */
  removeIn(w: WriteBatch, kind: PendingKind, userId: string, roomId: string, leave?: EndingLeave): MembershipChange[] {
    if (w.read(DB[kind], [userId, roomId]) === undefined) return [];
    const pos = this.nextPosition(w);
    w.remove(DB[kind], [userId, roomId]);
    const stored: StoredMembershipChange = [KIND_CODE[kind], userId, roomId, true];
    if (leave !== undefined) stored.push([leave.eventId, JSON.stringify(leave.event)]);
    w.put("membershipStream", pos, stored);
    return [{ pos, kind, userId, roomId, removed: true, ...(leave !== undefined ? { leave } : {}) }];
  }

  /** Tell `onChange` listeners about committed changes (callers of `putIn` / `removeIn`). */
  notify(changes: readonly MembershipChange[]): void {
    for (const change of changes) for (const l of this.listeners) l(change);
  }

  // ---- reads (committed) ----------------------------------------------------------------

  invite(userId: string, roomId: string): PendingMembership | undefined {
    return this.get("invite", userId, roomId);
  }

  knock(userId: string, roomId: string): PendingMembership | undefined {
    return this.get("knock", userId, roomId);
  }

  invitesOf(userId: string): PendingMembership[] {
    return this.ofUser("invite", userId);
  }

  knocksOf(userId: string): PendingMembership[] {
    return this.ofUser("knock", userId);
  }

  /**
   * Changes with `after < pos ≤ position`, oldest first (for /sync), and that `position`. A
   * full page (`limit` changes) means there may be more: ask again from the last `pos`.
   */
  since(after: number, limit = 1000): { position: number; changes: MembershipChange[] } {
    const position = this.position;
    const changes: MembershipChange[] = [];
    const db = this.storage.store.dbs.membershipStream;
    for (const { key, value } of db.getRange({ start: after, end: position, exclusiveStart: true, inclusiveEnd: true, limit })) {
      const leave = value[4];
      changes.push({
        pos: key,
        kind: KIND_BY_CODE[value[0]]!,
        userId: value[1],
        roomId: value[2],
        removed: value[3],
        ...(leave !== undefined ? { leave: { eventId: leave[0], event: JSON.parse(leave[1]) as Pdu } } : {}),
      });
    }
    return { position, changes };
  }

  /** The highest committed stream position (0 before the first change). */
  get position(): number {
    return this.storage.store.dbs.membershipMeta.get("position") ?? 0;
  }

  /** Called once per committed change, in order; returns the unsubscribe function. */
  onChange(listener: MembershipChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- internals -------------------------------------------------------------------------

  private async commit(fn: (w: WriteBatch) => MembershipChange[]): Promise<MembershipChange[]> {
    const changes = await this.storage.write(fn);
    this.notify(changes);
    return changes;
  }

  private nextPosition(w: WriteBatch): number {
    const pos = (w.read("membershipMeta", "position") ?? 0) + 1;
    w.put("membershipMeta", "position", pos);
    return pos;
  }

  private get(kind: PendingKind, userId: string, roomId: string): PendingMembership | undefined {
    const stored = this.storage.store.dbs[DB[kind]].get([userId, roomId]);
    return stored === undefined ? undefined : decode(kind, userId, roomId, stored);
  }

  private ofUser(kind: PendingKind, userId: string): PendingMembership[] {
    const out: PendingMembership[] = [];
    for (const { key, value } of this.storage.store.dbs[DB[kind]].getRange(prefixRange([userId]))) {
      if (key.length === 2) out.push(decode(kind, key[0], key[1], value));
    }
    return out;
  }
}

function decode(kind: PendingKind, userId: string, roomId: string, s: StoredPendingMembership): PendingMembership {
  let parsed: Pdu | undefined;
  return {
    kind,
    userId,
    roomId,
    pos: s[0],
    roomVersion: s[1],
    eventJson: s[2],
    get event(): Pdu {
      return (parsed ??= JSON.parse(s[2]) as Pdu);
    },
    strippedState: JSON.parse(s[3]) as StrippedStateEvent[],
    origin: s[4] ?? undefined,
    receivedTs: s[5],
  };
}

/**
 * The one `MembershipStore` of a `Storage` (its listeners must be shared by every writer and
 * reader of the same database). Until `Storage` carries it as a field, get it through here.
 */
const stores = new WeakMap<Storage, MembershipStore>();

export function membershipStore(storage: Storage): MembershipStore {
  let s = stores.get(storage);
  if (!s) stores.set(storage, (s = new MembershipStore(storage)));
  return s;
}
