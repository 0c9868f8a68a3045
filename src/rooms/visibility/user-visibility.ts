/**
 * May a user see an event (client API: /messages, /context, /sync, /event)? The rules of
 * modules/history_visibility.md "Server behaviour", judged at the event (the state before or
 * after it, whichever allows; see states-around.ts):
 *
 *   1. `world_readable` → allow.
 *   2. the user's membership was `join` → allow.
 *   3. `shared`, and the user joined the room at any point after the event was sent → allow.
 *      "After": the user is joined now, or one of their earlier membership events (walked back
 *      through the state before each) is a `join` later in the room's order than the event.
 *   4. the user's membership was `invite` and the setting was `invited` → allow.
 *   5. otherwise deny.
 *
 * Independently of history visibility, clients never see rejected or soft-failed events
 * (server-server-api.md "Rejection", "Soft failure"). Outliers have no known state: the only
 * ones a client may see are the user's own membership events (out-of-band invites, knocks).
 */
import { stateKey } from "../../events/types.js";
import type { EventRecord } from "../../storage/events.js";
import type { NodeId } from "../../storage/state-node.js";
import { MEMBER, membershipOf } from "../auth/types.js";
import { StateView } from "../state-view.js";
import { historyVisibilityIn, type HistoryVisibility } from "./history-visibility.js";
import type { VisibilitySource } from "./source.js";
import { stateRootsAround } from "./states-around.js";

/** How far back rule 3 walks a user's membership history before giving up (deny). */
const MAX_MEMBERSHIP_WALK = 64;

interface AtState {
  readonly hv: HistoryVisibility;
  readonly membership: string | undefined;
}

/** Visibility for one user in one room, for the length of one request (cached per state root). */
export class UserVisibility {
  private readonly byRoot = new Map<NodeId, AtState>();

  constructor(
    private readonly src: VisibilitySource,
    readonly roomNid: number,
    readonly userId: string,
  ) {}

  maySee(rec: EventRecord): boolean {
    if (rec.status === "rejected" || rec.status === "soft_failed") return false;
    const roots = stateRootsAround(rec);
    if (roots.length === 0) return this.isOwnMembership(rec);
    return roots.some((root) => this.visibleAt(root, rec));
  }

  private visibleAt(root: NodeId, rec: EventRecord): boolean {
    const { hv, membership } = this.at(root);
    if (hv === "world_readable") return true;
    if (membership === "join") return true;
    if (hv === "shared" && this.joinedAfter(rec)) return true;
    return hv === "invited" && membership === "invite";
  }

  private at(root: NodeId): AtState {
    let s = this.byRoot.get(root);
    if (s === undefined) {
      const state = new StateView(this.src.storage, this.src.loader, root);
      s = { hv: historyVisibilityIn(state), membership: membershipOf(state, this.userId) };
      this.byRoot.set(root, s);
    }
    return s;
  }

  private isOwnMembership(rec: EventRecord): boolean {
    const ev = this.src.loader.byNid(rec.nid);
    return ev !== undefined && ev.type === MEMBER && ev.stateKey === this.userId;
  }

  /** Rule 3's "joined the room at any point after the event was sent". */
  private joinedAfter(rec: EventRecord): boolean {
    const { storage, loader } = this.src;
    const current = storage.rooms.membership(this.roomNid, this.userId);
    if (current === undefined) return false;
    // Not joined at the event (rule 2 would have allowed) but joined now: the join came later.
    if (current.membership === "join") return true;
    const slot = stateKey(MEMBER, this.userId);
    let nid: number | undefined = current.nid;
    for (let steps = 0; nid !== undefined && steps < MAX_MEMBERSHIP_WALK; steps++) {
      const m = storage.events.getEventByNid(nid);
      if (m === undefined || !isLater(m, rec)) return false;
      if (loader.byNid(nid)?.content.membership === "join") return true;
      nid = m.stateBefore === null ? undefined : storage.state.get(m.stateBefore, slot);
    }
    return false;
  }
}

/** Room order: stream ordering when both have one (timeline events), else depth. */
function isLater(a: EventRecord, b: EventRecord): boolean {
  if (a.streamOrdering !== undefined && b.streamOrdering !== undefined) return a.streamOrdering > b.streamOrdering;
  return a.depth > b.depth;
}

/** One-off form of `UserVisibility.maySee`. */
export function userMaySeeEvent(src: VisibilitySource, userId: string, rec: EventRecord): boolean {
  return new UserVisibility(src, rec.roomNid, userId).maySee(rec);
}

/** The events of `records` (any rooms, order kept) that `userId` may see. */
export function filterEventsForUser(src: VisibilitySource, userId: string, records: readonly EventRecord[]): EventRecord[] {
  const perRoom = new Map<number, UserVisibility>();
  return records.filter((rec) => {
    let v = perRoom.get(rec.roomNid);
    if (v === undefined) perRoom.set(rec.roomNid, (v = new UserVisibility(src, rec.roomNid, userId)));
    return v.maySee(rec);
  });
}
