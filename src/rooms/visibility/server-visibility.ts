/**
 * May a remote server see an event? The history visibility rules
 * (modules/history_visibility.md "Server behaviour") applied to a server instead of a user,
 * where a server's "membership" is that of any of its users:
 *
 *   1. `world_readable` at the event → allow.
 *   2. one of the server's users was joined at the event → allow.
 *   3. `shared` at the event and the server is in the room now (it has a joined user: the
 *      closest server-level reading of "the user joined the room at any point after the event
 *      was sent") → allow.
 *   4. `invited` at the event and one of its users was invited at the event → allow.
 *   5. otherwise deny.
 *
 * "At the event" is the state before the event or the state after it, whichever allows (see
 * states-around.ts). Outliers, whose state we do not know, are visible (as in Synapse: there
 * is no history_visibility to apply). This is the rule Synapse applies in
 * `filter_events_for_server` and Dendrite in `IsServerAllowed`.
 *
 * What the federation read endpoints do with the answer (src/federation/events/): the
 * requesting server must be in the room now (403 otherwise, as Synapse does), and an event it
 * may not see is served in its redacted form, so the DAG stays walkable without leaking content.
 */
import { domainOf } from "../../events/ids.js";
import type { EventRecord } from "../../storage/events.js";
import type { Storage } from "../../storage/storage.js";
import type { NodeId } from "../../storage/state-node.js";
import { membershipOf } from "../auth/types.js";
import { StateView } from "../state-view.js";
import { historyVisibilityIn } from "./history-visibility.js";
import type { VisibilitySource } from "./source.js";
import { stateRootsAround } from "./states-around.js";

/** Does `serverName` have a user whose current membership in the room is `join`? */
export function isServerInRoom(storage: Storage, roomNid: number, serverName: string): boolean {
  return storage.rooms.hasJoinedServer(roomNid, serverName);
}

/**
 * Visibility for one server in one room, for the length of one request: answers are cached per
 * state root, and the server's users are listed once.
 */
export class ServerVisibility {
  /** The server has a joined user in the room's current state. */
  readonly inRoomNow: boolean;
  private users: string[] | undefined;
  private readonly byRoot = new Map<NodeId, boolean>();

  constructor(
    private readonly src: VisibilitySource,
    readonly roomNid: number,
    readonly serverName: string,
  ) {
    this.inRoomNow = isServerInRoom(src.storage, roomNid, serverName);
  }

  maySee(rec: EventRecord): boolean {
    const roots = stateRootsAround(rec);
    if (roots.length === 0) return true;
    return roots.some((root) => this.visibleAt(root));
  }

  private visibleAt(root: NodeId): boolean {
    let answer = this.byRoot.get(root);
    if (answer === undefined) {
      answer = this.judge(new StateView(this.src.storage, this.src.loader, root));
      this.byRoot.set(root, answer);
    }
    return answer;
  }

  private judge(state: StateView): boolean {
    const hv = historyVisibilityIn(state);
    if (hv === "world_readable") return true;
    if (hv === "shared" && this.inRoomNow) return true;
    let invited = false;
    for (const user of this.serverUsers()) {
      const m = membershipOf(state, user);
      if (m === "join") return true;
      if (m === "invite") invited = true;
    }
    return hv === "invited" && invited;
  }

  /**
   * Users of the server with any membership in the current state. Membership slots are never
   * removed from state, so this is everyone of that server who ever had one.
   */
  private serverUsers(): string[] {
    this.users ??= this.src.storage.rooms
      .members(this.roomNid)
      .map((m) => m.userId)
      .filter((u) => domainOf(u) === this.serverName);
    return this.users;
  }
}

/** One-off form of `ServerVisibility.maySee`. */
export function serverMaySeeEvent(src: VisibilitySource, serverName: string, rec: EventRecord): boolean {
  return new ServerVisibility(src, rec.roomNid, serverName).maySee(rec);
}
