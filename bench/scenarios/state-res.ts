/**
 * `state-res`: state resolution (v2, room version 12) on forks of a 10k-member room with 10,
 * 100 and 1 000 conflicted events (bench/lib/state-res-forks.ts, shared with `rooms`):
 * `resolveRoots` alone (first run and best warm run, each in one LMDB write as the actor does
 * it), and a merge event received by the room actor whose prev_events are the two branch tips
 * (state before = the resolution, auth checks, soft-fail check, one durable write).
 *
 * In-process (no HTTP, no server process): the figure is the engine's alone. With --profile
 * the runner's main thread is profiled through the inspector while the forks are built and
 * resolved.
 */
import { addMembers, createPublicRoom, openBenchRooms } from "../lib/room-fixture.js";
import { HOW_TO_OPEN, profileInProcess } from "../lib/profiles.js";
import { forkTable, resolveForks, type ForkResolution } from "../lib/state-res-forks.js";
import { round3 } from "../lib/stats.js";
import type { Scenario, ScenarioContext, ScenarioResult } from "../lib/types.js";

const MEMBERS = 10_000;
const CONFLICTS = [10, 100, 1000];
const GOAL_MS = 200;

export const stateResScenario: Scenario = {
  name: "state-res",
  description: "state resolution on forks of a 10k-member room with 10/100/1000 conflicted events (direct and via the room actor)",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const b = openBenchRooms();
    let results: ForkResolution[];
    let profileFile: string | undefined;
    try {
      const roomId = await createPublicRoom(b);
      await addMembers(b, roomId, MEMBERS, (d) => ctx.progress.update(`filling a ${MEMBERS}-member room`, d, MEMBERS));
      const resolve = () =>
        resolveForks(b, roomId, MEMBERS, CONFLICTS, { warmRuns: ctx.quick ? 2 : 4, merge: true, onStep: (s) => ctx.progress.update(s) });
      if (ctx.profile) {
        const p = await profileInProcess(ctx.outDir, "state-res", resolve);
        results = p.result;
        profileFile = p.file;
      } else {
        results = await resolve();
      }
    } finally {
      await b.close();
    }
    const last = results[results.length - 1]!;
    return {
      scenario: "state-res",
      summary: {
        [`warm_ms_${MEMBERS}_members_${last.conflictedEvents}_conflicted`]: round3(last.warmMs),
        [`first_run_ms_${MEMBERS}_members_${last.conflictedEvents}_conflicted`]: round3(last.firstMs),
        [`merge_via_actor_ms_${MEMBERS}_members_${last.conflictedEvents}_conflicted`]: round3(last.mergeMs ?? NaN),
        goal: `10k members / 1k conflicted < ${GOAL_MS} ms ${last.warmMs < GOAL_MS ? "(met, warm)" : "(missed, warm)"}`,
      },
      tables: [forkTable(results)],
      charts: [
        {
          title: `State resolution time, forks of a ${MEMBERS}-member room`,
          xLabel: "conflicted events",
          yLabel: "ms",
          logX: true,
          series: [
            { label: "resolve (warm)", points: results.map((r) => ({ x: r.conflictedEvents, y: round3(r.warmMs) })) },
            { label: "resolve (first run)", points: results.map((r) => ({ x: r.conflictedEvents, y: round3(r.firstMs) })) },
            { label: "merge via actor", points: results.map((r) => ({ x: r.conflictedEvents, y: round3(r.mergeMs ?? 0) })) },
          ],
        },
      ],
      notes: [
        "Branch A: the creator changes C/2 custom state slots; branch B: C/2 members leave, a fifth of them kicked (power events). Conflicted slots = slots either branch changed.",
        "first run = cold caches; warm = best of the repeated runs on the same two states; merge = a message with both branch tips as prev_events through RoomActor.receive (includes the durable write).",
        ...(profileFile ? [`CPU profile of the runner (room filled beforehand; branch building and resolution): ${profileFile}. ${HOW_TO_OPEN}`] : []),
      ],
    };
  },
};
