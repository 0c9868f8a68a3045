/**
 * The end of a remote join: the resident's answer (verified: checks 1–3) becomes our room, in
 * ONE atomic write inside the room's actor, so the room is usable (send, /sync, federation
 * reads) the moment the write commits, and a crash leaves either nothing or everything.
 *
 * ```
 *  room record (created, or kept when we were in the room before)
 *  auth chain ∪ state  ──► outliers, auth order, each against its auth events (check 4)
 *  state (accepted outliers) ──► state map root  = the state before our join
 *  join  ──► check 4 (its auth events), check 5 (that state) ──► accepted, stream ordering
 *  heads ──► extremities [join] (plus the old ones if we were still joined), current state
 * ```
 *
 * The join's prev_events are the resident's forward extremities, which we usually do not hold:
 * they stay referenced-only (interned) until something fetches them (backfill), exactly what
 * "the state before the event" is for.
 */
import type { App } from "../../app.js";
import type { RoomVersion } from "../../events/room-versions.js";
import { stateKey, type RoomEvent, type StateKey } from "../../events/types.js";
import { checkAuthRules } from "../../rooms/auth/check-auth.js";
import { checkAuthEvents } from "../../rooms/pipeline/check-auth-events.js";
import { persistOutliers } from "../../rooms/pipeline/persist-outliers.js";
import { resolveRoots, StateView } from "../../rooms/state-view.js";
import { EMPTY_ROOT } from "../../storage/state-map.js";
import { InvalidRemoteResponse } from "./remote-errors.js";

export interface JoinAnswer {
  /** The resident that answered (for errors). */
  readonly server: string;
  readonly version: RoomVersion;
  readonly roomId: string;
  /** Our join event as the resident returned it (with its signature on restricted joins). */
  readonly join: RoomEvent;
  /** The state before the join (verified events). */
  readonly state: readonly RoomEvent[];
  readonly authChain: readonly RoomEvent[];
}

export interface ImportedJoin {
  readonly eventId: string;
  readonly nid: number;
  readonly streamOrdering: number | undefined;
  /** State events of the answer that were left out (failed their auth checks). */
  readonly droppedState: number;
}

export function importJoin(app: App, a: JoinAnswer): Promise<ImportedJoin> {
  const { storage, rooms } = app;
  const actor = rooms.actor(a.roomId);
  const create = a.state.find((e) => e.type === "m.room.create" && e.stateKey === "");
  if (!create) return Promise.reject(new InvalidRemoteResponse(a.server, "the room state has no m.room.create event"));
  const createdVersion = typeof create.content.room_version === "string" ? create.content.room_version : "1";
  if (createdVersion !== a.version.id) {
    return Promise.reject(new InvalidRemoteResponse(a.server, `the create event says room version ${createdVersion}, make_join said ${a.version.id}`));
  }
  return actor.exclusive(async () => {
    const imported = await storage.write((w) => {
      const existing = storage.rooms.getRoom(a.roomId, w);
      if (existing && existing.version !== a.version.id) throw new InvalidRemoteResponse(a.server, `we know this room as version ${existing.version}`);
      if (!existing) {
        storage.rooms.putRoom(w, { roomId: a.roomId, version: a.version.id, createEventId: create.eventId, createdTs: Date.now(), isLocal: false });
      }
      const ctx = actor.context(w);

      const { outcomes } = persistOutliers(ctx, w, [...a.authChain, ...a.state]);
      const changes = new Map<StateKey, number>();
      let droppedState = 0;
      for (const ev of a.state) {
        if (ev.stateKey === undefined) throw new InvalidRemoteResponse(a.server, `${ev.eventId} in the room state is not a state event`);
        const o = outcomes.get(ev.eventId);
        const nid = o?.kind === "stored" ? o.nid : o?.kind === "held" && !o.rejected ? o.nid : undefined;
        if (nid === undefined) {
          droppedState++;
          continue;
        }
        const slot = stateKey(ev.type, ev.stateKey);
        if (changes.has(slot) && changes.get(slot) !== nid) throw new InvalidRemoteResponse(a.server, `two events for (${ev.type}, ${ev.stateKey}) in the room state`);
        changes.set(slot, nid);
      }
      if (!changes.has(stateKey("m.room.create", ""))) throw new InvalidRemoteResponse(a.server, "the room's create event failed its checks");
      const before = storage.state.applyChanges(w, EMPTY_ROOT, changes);

      const held = ctx.loader.record(a.join.eventId, w);
      if (held && held.status !== "outlier") {
        // Already placed (an earlier attempt committed): nothing more to do.
        return { eventId: a.join.eventId, nid: held.nid, streamOrdering: held.streamOrdering, droppedState, stateBefore: null };
      }
      const c4 = checkAuthEvents(ctx, a.join, w);
      if (c4.kind === "missing") throw new InvalidRemoteResponse(a.server, `our join's auth events are missing: ${c4.missing.join(", ")}`);
      if (!c4.result.allowed) throw new InvalidRemoteResponse(a.server, `our join fails its auth events: ${c4.result.reason}`);
      const c5 = checkAuthRules(a.join, new StateView(storage, ctx.loader, before, w), a.version);
      if (!c5.allowed) throw new InvalidRemoteResponse(a.server, `our join fails against the room state: ${c5.reason}`);

      const [p] = storage.persistEvents(w, ctx.roomNid, [{ event: a.join, status: "accepted", stateBefore: before }]);
      ctx.loader.remember(p!.nid, a.join);
      const after = p!.stateAfter ?? before;

      // Still joined from earlier (another local user): keep those extremities beside ours.
      const heads = storage.rooms.getHeads(ctx.roomNid, w);
      const stillJoined = (w.read("roomHosts", [ctx.roomNid, app.serverName]) ?? 0) > 0 && heads.extremities.length > 0;
      const prevNids = new Set(a.join.prevEvents.map((id) => storage.events.nidOf(id, w)));
      const extremities = stillJoined ? [...heads.extremities.filter((x) => !prevNids.has(x)), p!.nid] : [p!.nid];
      const current = stillJoined ? resolveRoots(storage, ctx.loader, a.version, [heads.stateRoot, after], w) : after;
      storage.persistEvents(w, ctx.roomNid, [], { extremities, currentState: { root: current } });
      return { eventId: a.join.eventId, nid: p!.nid, streamOrdering: p!.streamOrdering, droppedState, stateBefore: before };
    });
    // The join is in: wake /sync waiters like any stored event (not fanned out: the resident
    // server that accepted our send_join does that).
    if (imported.stateBefore !== null) {
      actor.announce([{ event: a.join, nid: imported.nid, status: "accepted", streamOrdering: imported.streamOrdering, stateBefore: imported.stateBefore }]);
    }
    const { stateBefore: _sb, ...result } = imported;
    return result;
  });
}
