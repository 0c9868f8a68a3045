/**
 * `rooms`: the rooms engine without HTTP or signature checks (those have their own scenarios).
 *
 * - persist: events/s through the receipt pipeline (checks 4–7 + one durable write per batch of
 *   50) into one room, and into 100 rooms concurrently;
 * - state-res: resolution time for forks of a 10k-member room with 10, 100 and 1 000
 *   conflicted events (bench/lib/state-res-forks.ts; the `state-res` scenario goes further);
 * - storage: bytes added per state event in rooms of 1k, 10k and 100k members (must stay flat:
 *   the state map shares structure, DESIGN.md);
 * - memory per idle actor.
 * The limit figure next to them is the raw LMDB put rate measured in the same run.
 */
import v8 from "node:v8";
import type { RoomEvent } from "../../src/events/types.js";
import { secondsSince } from "../lib/stats.js";
import {
  addMembers,
  buildChain,
  createPublicRoom,
  openBenchRooms,
  receiveAll,
  remoteUser,
  storageBytes,
} from "../lib/room-fixture.js";
import { forkTable, resolveForks } from "../lib/state-res-forks.js";
import type { Scenario, ScenarioContext, ScenarioResult, Series, Table } from "../lib/types.js";

async function persistOneRoom(ctx: ScenarioContext, n: number): Promise<number> {
  const b = openBenchRooms();
  try {
    const roomId = await createPublicRoom(b);
    await addMembers(b, roomId, 1);
    const msgs = buildChain(b, roomId, n, (i) => ({ type: "m.room.message", sender: remoteUser(0), content: { msgtype: "m.text", body: `m${i}` } }));
    ctx.progress.update(`persist ${n} events into one room`);
    const start = process.hrtime.bigint();
    const ok = await receiveAll(b, roomId, msgs);
    const secs = secondsSince(start);
    if (ok !== n) throw new Error(`${n - ok} events not accepted`);
    return n / secs;
  } finally {
    await b.close();
  }
}

async function persistManyRooms(ctx: ScenarioContext, rooms: number, perRoom: number): Promise<number> {
  const b = openBenchRooms();
  try {
    const ids: string[] = [];
    const chains: RoomEvent[][] = [];
    for (let r = 0; r < rooms; r++) {
      ctx.progress.update(`creating rooms`, r, rooms);
      const roomId = await createPublicRoom(b);
      await addMembers(b, roomId, 1);
      ids.push(roomId);
      chains.push(buildChain(b, roomId, perRoom, (i) => ({ type: "m.room.message", sender: remoteUser(0), content: { msgtype: "m.text", body: `m${i}` } })));
    }
    ctx.progress.update(`persist ${rooms} × ${perRoom} events concurrently`);
    const start = process.hrtime.bigint();
    const counts = await Promise.all(ids.map((roomId, r) => receiveAll(b, roomId, chains[r]!)));
    const secs = secondsSince(start);
    const total = counts.reduce((a, c) => a + c, 0);
    if (total !== rooms * perRoom) throw new Error("events not accepted");
    return total / secs;
  } finally {
    await b.close();
  }
}

async function stateRes(ctx: ScenarioContext, members: number, conflictSizes: number[]): Promise<Table> {
  const b = openBenchRooms();
  try {
    const roomId = await createPublicRoom(b);
    await addMembers(b, roomId, members, (d) => ctx.progress.update(`state-res: filling ${members}-member room`, d, members));
    const results = await resolveForks(b, roomId, members, conflictSizes, { onStep: (s) => ctx.progress.update(`state-res: ${s}`) });
    return forkTable(results);
  } finally {
    await b.close();
  }
}

async function storageGrowth(ctx: ScenarioContext, sizes: number[]): Promise<{ table: Table; series: Series }> {
  const rows: (string | number)[][] = [];
  const series: Series = { label: "bytes per state event", points: [] };
  for (const members of sizes) {
    const b = openBenchRooms();
    try {
      const roomId = await createPublicRoom(b);
      await addMembers(b, roomId, members, (d) => ctx.progress.update(`storage: filling ${members}-member room`, d, members));
      const n = 500;
      const changes = buildChain(b, roomId, n, (i) => ({
        type: "m.room.member",
        stateKey: remoteUser(i % members),
        sender: remoteUser(i % members),
        content: { membership: "join", displayname: `user ${i}` },
      }));
      const before = storageBytes(b);
      await receiveAll(b, roomId, changes);
      const after = storageBytes(b);
      const perEvent = (after.total - before.total) / n;
      const nodesPerEvent = (after.stateNodes - before.stateNodes) / n;
      rows.push([members, Math.round(perEvent), Math.round(nodesPerEvent)]);
      series.points.push({ x: members, y: Math.round(perEvent) });
    } finally {
      await b.close();
    }
  }
  return {
    table: { title: "Storage added per state event (member displayname change)", columns: ["members", "bytes/event (all dbs)", "state-map bytes/event"], rows },
    series,
  };
}

async function memoryPerActor(): Promise<number> {
  const b = openBenchRooms();
  try {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = v8.getHeapStatistics().used_heap_size;
    const n = 5000;
    for (let i = 0; i < n; i++) b.rooms.actor(`!idle${i}:${"bench.local"}`);
    gc?.();
    const after = v8.getHeapStatistics().used_heap_size;
    return (after - before) / n;
  } finally {
    await b.close();
  }
}

async function rawPutRate(seconds: number): Promise<number> {
  const b = openBenchRooms();
  try {
    let n = 0;
    const start = process.hrtime.bigint();
    while (secondsSince(start) < seconds) {
      await b.storage.write((w) => {
        for (let i = 0; i < 500; i++) w.put("eventIds", 1e9 + n + i, `$x${n + i}`);
      });
      n += 500;
    }
    return n / secondsSince(start);
  } finally {
    await b.close();
  }
}

export const roomsScenario: Scenario = {
  name: "rooms",
  description: "rooms engine: persist rate (1 and 100 rooms), state-res on 10k-member forks, storage per state event, memory per actor",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const q = ctx.quick;
    ctx.progress.update("raw LMDB put rate");
    const rawPuts = await rawPutRate(q ? 0.5 : 2);
    const one = await persistOneRoom(ctx, q ? 2000 : 10_000);
    const many = await persistManyRooms(ctx, 100, q ? 20 : 100);
    const sr = await stateRes(ctx, q ? 2000 : 10_000, [10, 100, 1000]);
    const growth = await storageGrowth(ctx, q ? [1000, 10_000] : [1000, 10_000, 100_000]);
    ctx.progress.update("memory per idle actor");
    const perActor = await memoryPerActor();
    const last = sr.rows[sr.rows.length - 1]!;
    return {
      scenario: "rooms",
      summary: {
        raw_lmdb_puts_per_s: Math.round(rawPuts),
        persist_one_room_events_per_s: Math.round(one),
        persist_100_rooms_events_per_s: Math.round(many),
        [`state_res_${last[0]}_members_${last[1]}_conflicted_warm_ms`]: last[4]!,
        goal_state_res: "< 200 ms at 10k members / 1k conflicted",
        bytes_per_state_event: growth.table.rows.map((r) => `${r[0]}: ${r[1]}`).join(", "),
        memory_per_idle_actor_bytes: Math.round(perActor),
      },
      tables: [sr, growth.table],
      charts: [{ title: "Storage per state event vs room size", xLabel: "members", yLabel: "bytes", logX: true, series: [growth.series] }],
      notes: [
        "persist = checks 4–7 and one durable LMDB commit per batch of 50, through the room actor; no HTTP, no signature checks.",
        `Raw LMDB: ${Math.round(rawPuts)} puts/s in 500-put durable batches, same run.`,
        "memory per actor is measured with --expose-gc when available (npm run bench passes it).",
      ],
    };
  },
};
