/**
 * State resolution on forks of a big room, shared by the `rooms` and `state-res` scenarios.
 *
 * For each size C: from the room's current heads, two branches of C/2 state events each are
 * stored directly (state chained from the heads' state; heads left alone):
 *   branch A: the creator changes C/2 custom state slots;
 *   branch B: members leave, a fifth of them kicked by the creator (kicks are power events,
 *             so the iterative auth ordering has work to do).
 * Every slot either branch touched is conflicted. Then:
 *   - `resolveRoots` on the two branch states, in one LMDB write (the resolved map's new nodes
 *     are written, as the actor would): first run (cold caches) and best warm run;
 *   - optionally a merge: a message whose prev_events are the two branch tips, received by the
 *     room actor (state before = the resolution, auth checks 4–7, soft-fail check, one durable
 *     write), which is what a server does when a fork closes.
 */
import { getRoomVersion } from "../../src/events/room-versions.js";
import type { RoomEvent } from "../../src/events/types.js";
import { resolveRoots } from "../../src/rooms/state-view.js";
import type { NodeId } from "../../src/storage/state-node.js";
import { buildChain, type BenchRooms } from "./room-fixture.js";
import { round3, secondsSince } from "./stats.js";
import type { Table } from "./types.js";

const VERSION = getRoomVersion("12")!;

export interface ForkResolution {
  members: number;
  /** Conflicted events stored (both branches). */
  conflictedEvents: number;
  /** Conflicted state slots the resolver saw. */
  conflictedSlots: number;
  firstMs: number;
  warmMs: number;
  /** Receiving the merge event through the room actor, when asked for. */
  mergeMs?: number;
}

export interface ForkOptions {
  /** Warm repetitions after the first run (default 2). */
  warmRuns?: number;
  /** Also time a merge event through the actor. */
  merge?: boolean;
  onStep?: (step: string) => void;
}

/** Store a branch of events directly (state chained from `root`), leaving the heads alone. */
export async function storeBranch(b: BenchRooms, roomId: string, events: readonly RoomEvent[], root: NodeId): Promise<NodeId> {
  const roomNid = b.rooms.context(roomId)!.roomNid;
  return b.storage.write((w) => {
    let r = root;
    for (const event of events) {
      const [p] = b.storage.persistEvents(w, roomNid, [{ event, status: "accepted", stateBefore: r }]);
      r = p!.stateAfter ?? r;
    }
    return r;
  });
}

/**
 * Resolve forks of `roomId` (which has `members` members, `b.memberId(0..members-1)`, joined)
 * with each of `conflictSizes` conflicted events. Members 0..Σ(C/2) leave along the way; the
 * merge events are sent by the last member, who never does.
 */
export async function resolveForks(b: BenchRooms, roomId: string, members: number, conflictSizes: readonly number[], o: ForkOptions = {}): Promise<ForkResolution[]> {
  const room = b.rooms.context(roomId)!;
  const out: ForkResolution[] = [];
  let offset = 0;
  for (const conflicted of conflictSizes) {
    o.onStep?.(`${conflicted} conflicted events: building branches`);
    const base = b.storage.rooms.getHeads(room.roomNid);
    const half = Math.max(1, Math.floor(conflicted / 2));
    const kicks = Math.floor(half / 5);
    if (offset + half >= members) throw new Error(`a ${members}-member room is too small for ${conflictSizes.join("+")} conflicted events`);
    const branchA = buildChain(b, roomId, half, (i) => ({ type: "org.bench.state", stateKey: `k${offset + i}`, sender: b.creator, content: { v: i } }));
    const branchB = buildChain(b, roomId, half, (i) => {
      const user = b.memberId(offset + i);
      return { type: "m.room.member", stateKey: user, sender: i < kicks ? b.creator : user, content: { membership: "leave" } };
    });
    offset += half;
    const rootA = await storeBranch(b, roomId, branchA, base.stateRoot);
    const rootB = await storeBranch(b, roomId, branchB, base.stateRoot);
    o.onStep?.(`${conflicted} conflicted events: resolving`);
    const times: number[] = [];
    for (let rep = 0; rep < 1 + (o.warmRuns ?? 2); rep++) {
      const start = process.hrtime.bigint();
      await b.storage.write((w) => resolveRoots(b.storage, b.rooms.loader, VERSION, [rootA, rootB], w));
      times.push(secondsSince(start) * 1000);
    }
    const result: ForkResolution = {
      members,
      conflictedEvents: 2 * half,
      conflictedSlots: b.storage.state.diffMany([rootA, rootB]).size,
      firstMs: times[0]!,
      warmMs: Math.min(...times.slice(1)),
    };
    if (o.merge) {
      o.onStep?.(`${conflicted} conflicted events: merge through the actor`);
      const merge = b.remote.event(roomId, {
        type: "m.room.message",
        sender: b.memberId(members - 1),
        content: { msgtype: "m.text", body: `merge ${conflicted}` },
        prevEvents: [branchA[branchA.length - 1]!.eventId, branchB[branchB.length - 1]!.eventId],
        stateRoot: base.stateRoot,
      });
      const start = process.hrtime.bigint();
      const [outcome] = await b.rooms.actor(roomId).receive([{ event: merge }]);
      result.mergeMs = secondsSince(start) * 1000;
      if (outcome?.status !== "accepted") throw new Error(`merge event not accepted: ${JSON.stringify(outcome)}`);
    }
    out.push(result);
  }
  return out;
}

export function forkTable(results: readonly ForkResolution[]): Table {
  const merge = results.some((r) => r.mergeMs !== undefined);
  const members = results[0]?.members ?? 0;
  return {
    title: `State resolution, forks of a ${members}-member room (v12)`,
    columns: ["members", "conflicted events", "conflicted slots", "first run ms", "warm ms", ...(merge ? ["merge via actor ms"] : [])],
    rows: results.map((r) => [
      r.members,
      r.conflictedEvents,
      r.conflictedSlots,
      round3(r.firstMs),
      round3(r.warmMs),
      ...(merge ? [r.mergeMs === undefined ? "-" : round3(r.mergeMs)] : []),
    ]),
  };
}
