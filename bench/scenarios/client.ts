/**
 * `client`: the client-server API of a Conflux process, over plain HTTP keep-alive on loopback.
 *
 * 1. Messages/s: U users send m.room.message events concurrently (each user one request in
 *    flight, as a client does), into one shared room or one room each. Reported: messages/s,
 *    p50/p99 send latency (PUT → 200, i.e. durable, "Durable before acknowledged"), server
 *    CPU-seconds per 1 000 messages, and the runner's own event-loop utilisation (how close the
 *    load generator came to being the bottleneck).
 * 2. Sync fan-out: 1 000 users joined to one room, each with a long-polling /sync held open by
 *    a separate process (bench/lib/sync-waiters.ts); one user sends one message; the delay from
 *    the send being issued to each /sync returning with it, p50/p99/max over several rounds
 *    (after a warm-up round). The waiters sync with `set_presence=offline` and a filter that
 *    drops presence, so the only news in a round is the message.
 * The limit next to the figures: the server's own single-request send latency (one user, one
 * room), measured in the same run.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createRoom, joinRoom, mapConcurrent, register, sendMessage, type ClientSession } from "../lib/client-api.js";
import { freePort } from "../lib/ports.js";
import { collectServerProfiles, profileNotes, rawProfileDir, type CollectedProfiles } from "../lib/profiles.js";
import { ServerProcess } from "../lib/server-process.js";
import { percentile, round3 } from "../lib/stats.js";
import type { SyncWaitersPlan, SyncWaitersRound } from "../lib/sync-waiters.js";
import type { Scenario, ScenarioContext, ScenarioResult, Series, Table } from "../lib/types.js";

const WAITERS_JS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "lib", "sync-waiters.js");
const GOAL_P99_MS = 100;
const SETTLE_MS = 1500;
/** Lazy-loaded members and a short timeline, as clients sync big rooms; no presence. */
const WAITER_FILTER = JSON.stringify({
  presence: { not_types: ["*"] },
  room: { timeline: { limit: 10 }, state: { lazy_load_members: true } },
});

interface SendConfig {
  users: number;
  rooms: number;
}

interface SendResult extends SendConfig {
  messages: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuPer1000: number;
  runnerElu: number;
}

async function registerMany(ctx: ScenarioContext, baseUrl: string, prefix: string, n: number): Promise<ClientSession[]> {
  let done = 0;
  return mapConcurrent(Array.from({ length: n }, (_, i) => i), 16, async (i) => {
    const s = await register(baseUrl, `${prefix}${i}`, null);
    ctx.progress.update(`registering ${prefix}* users`, ++done, n);
    return s;
  });
}

async function sendRun(ctx: ScenarioContext, server: ServerProcess, owner: ClientSession, senders: ClientSession[], cfg: SendConfig, messages: number): Promise<SendResult> {
  const users = senders.slice(0, cfg.users);
  const roomIds: string[] = [];
  for (let r = 0; r < cfg.rooms; r++) roomIds.push(await createRoom(owner));
  await mapConcurrent(users, 8, (u, i) => joinRoom(u, roomIds[i % cfg.rooms]!));
  const perUser = Math.ceil(messages / cfg.users);
  ctx.progress.update(`sending: ${cfg.users} users, ${cfg.rooms} room(s)`);
  const latencies: number[] = [];
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = server.cpuSeconds();
  const start = process.hrtime.bigint();
  await Promise.all(
    users.map(async (u, i) => {
      const roomId = roomIds[i % cfg.rooms]!;
      for (let m = 0; m < perUser; m++) {
        const t0 = process.hrtime.bigint();
        await sendMessage(u, roomId, `bench-${cfg.users}-${cfg.rooms}-${i}-${m}`, `message ${m} from ${i}`);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = server.cpuSeconds() - cpu0;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const total = perUser * cfg.users;
  latencies.sort((a, b) => a - b);
  return {
    ...cfg,
    messages: total,
    perSecond: total / secs,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuPer1000: (cpu / total) * 1000,
    runnerElu: elu,
  };
}

interface FanOutResult {
  waiters: number;
  rounds: number;
  delays: number[];
  perRound: { p50: number; p99: number; max: number; sendMs: number; early: number; waiterElu: number; serverCpuMs: number }[];
}

/** Line-oriented control of the waiters process. */
class Waiters {
  private readonly lines: string[] = [];
  private wake: (() => void) | undefined;
  private failed: Error | undefined;

  constructor(private readonly child: ReturnType<typeof spawn>) {
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.once("exit", (code) => {
      if (code !== 0) this.failed = new Error(`sync waiters exited ${code}: ${stderr}`);
      this.wake?.();
    });
    readline.createInterface({ input: child.stdout! }).on("line", (l) => {
      this.lines.push(l);
      this.wake?.();
    });
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  async next(prefix: string): Promise<string> {
    for (;;) {
      const i = this.lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return this.lines.splice(i, 1)[0]!.slice(prefix.length).trim();
      if (this.failed) throw this.failed;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

async function fanOut(ctx: ScenarioContext, server: ServerProcess, work: string, sender: ClientSession, waiterUsers: ClientSession[], rounds: number): Promise<FanOutResult> {
  const roomId = await createRoom(sender);
  let joined = 0;
  await mapConcurrent(waiterUsers, 8, async (u) => {
    await joinRoom(u, roomId);
    ctx.progress.update(`joining ${waiterUsers.length} users to the fan-out room`, ++joined, waiterUsers.length);
  });
  const plan: SyncWaitersPlan = {
    baseUrl: server.clientUrl,
    roomId,
    users: waiterUsers.map((u) => ({ userId: u.userId, accessToken: u.accessToken })),
    timeoutMs: 120_000,
    filter: WAITER_FILTER,
    initialConcurrency: 16,
  };
  const planPath = path.join(work, "waiters-plan.json");
  fs.writeFileSync(planPath, JSON.stringify(plan));
  ctx.progress.update(`initial /sync for ${waiterUsers.length} users`);
  const child = spawn(process.execPath, [WAITERS_JS, planPath], { stdio: ["pipe", "pipe", "pipe"] });
  const waiters = new Waiters(child);
  const result: FanOutResult = { waiters: waiterUsers.length, rounds, delays: [], perRound: [] };
  try {
    await waiters.next("READY");
    // Round 0 warms up both sides and is not counted.
    for (let r = 0; r <= rounds; r++) {
      ctx.progress.update(`fan-out round ${r}/${rounds}${r === 0 ? " (warm-up)" : ""}`);
      const marker = `fanout-${r}-${process.pid}`;
      waiters.send(`ARM ${marker}`);
      await waiters.next("ARMED");
      // The server parks each request after reading its (empty) news; give it time to park all.
      await new Promise((w) => setTimeout(w, SETTLE_MS));
      const cpu0 = server.cpuSeconds();
      const t0 = process.hrtime.bigint();
      await sendMessage(sender, roomId, marker, marker);
      const sendMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const round = JSON.parse(await waiters.next("ROUND ")) as SyncWaitersRound;
      const serverCpuMs = (server.cpuSeconds() - cpu0) * 1000;
      const delays = round.arrivals.map((a) => Number(BigInt(a) - t0) / 1e6).sort((a, b) => a - b);
      if (r === 0) continue;
      result.delays.push(...delays);
      result.perRound.push({
        p50: percentile(delays, 50),
        p99: percentile(delays, 99),
        max: delays[delays.length - 1]!,
        sendMs,
        early: round.early,
        waiterElu: round.elu,
        serverCpuMs,
      });
    }
    waiters.send("QUIT");
  } finally {
    if (child.exitCode === null) child.kill("SIGTERM");
  }
  result.delays.sort((a, b) => a - b);
  return result;
}

export const clientScenario: Scenario = {
  name: "client",
  description: "client API: messages/s from concurrent users, and send → /sync delay across 1 000 long-polling users",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const q = ctx.quick;
    const configs: SendConfig[] = q
      ? [
          { users: 1, rooms: 1 },
          { users: 16, rooms: 1 },
          { users: 16, rooms: 16 },
        ]
      : [
          { users: 1, rooms: 1 },
          { users: 8, rooms: 1 },
          { users: 32, rooms: 1 },
          { users: 128, rooms: 1 },
          { users: 32, rooms: 32 },
          { users: 128, rooms: 128 },
        ];
    const messages = q ? 1000 : 5000;
    const waiterCount = 1000;
    const rounds = q ? 3 : 10;
    const cores = os.availableParallelism();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "conflux-bench-client-"));
    const sends: SendResult[] = [];
    let fan: FanOutResult;
    let peakRss = 0;
    let profiles: CollectedProfiles | undefined;
    try {
      const profileDir = ctx.profile ? rawProfileDir(work, "client") : undefined;
      ctx.progress.update("starting the server");
      const server = await ServerProcess.start({
        dir: path.join(work, "server"),
        federationPort: await freePort(),
        clientPort: await freePort(),
        trustedCaPaths: [],
        poolSize: cores,
        ...(profileDir ? { profileDir } : {}),
      });
      try {
        const owner = await register(server.clientUrl, "owner", null);
        const senders = await registerMany(ctx, server.clientUrl, "sender", Math.max(...configs.map((c) => c.users)));
        for (const cfg of configs) sends.push(await sendRun(ctx, server, owner, senders, cfg, messages));
        const waiterUsers = await registerMany(ctx, server.clientUrl, "waiter", waiterCount);
        fan = await fanOut(ctx, server, work, owner, waiterUsers, rounds);
        peakRss = server.peakRssBytes();
      } finally {
        ctx.progress.update("stopping the server");
        await server.stop();
      }
      profiles = profileDir ? collectServerProfiles(profileDir, ctx.outDir, "client") : undefined;
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }

    const single = sends.find((s) => s.users === 1 && s.rooms === 1)!;
    const best = sends.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const p99 = percentile(fan.delays, 99);
    const sendTable: Table = {
      title: `Messages through PUT /rooms/{roomId}/send (${messages} per configuration, HTTP keep-alive, one request in flight per user)`,
      columns: ["users", "rooms", "messages/s", "p50 ms", "p99 ms", "server CPU-s / 1000 msgs", "runner event-loop use", "÷ single-user rate"],
      rows: sends.map((s) => [s.users, s.rooms, Math.round(s.perSecond), round3(s.p50Ms), round3(s.p99Ms), round3(s.cpuPer1000), round3(s.runnerElu), round3(s.perSecond / single.perSecond)]),
    };
    const fanTable: Table = {
      title: `Send → /sync delay, ${fan.waiters} long-polling users in one room (per round; delay from the send being issued)`,
      columns: ["round", "p50 ms", "p99 ms", "max ms", "send ms", "early returns", "waiters' event-loop use", "server CPU ms"],
      rows: fan.perRound.map((r, i) => [i + 1, round3(r.p50), round3(r.p99), round3(r.max), round3(r.sendMs), r.early, round3(r.waiterElu), round3(r.serverCpuMs)]),
    };
    const bySetup = new Map<string, Series>();
    for (const s of sends) {
      const label = s.rooms === 1 ? "one shared room" : "a room per user";
      let series = bySetup.get(label);
      if (!series) bySetup.set(label, (series = { label, points: [] }));
      series.points.push({ x: s.users, y: Math.round(s.perSecond) });
    }
    return {
      scenario: "client",
      summary: {
        best_messages_per_s: Math.round(best.perSecond),
        best_config: `${best.users} users, ${best.rooms} room(s)`,
        single_user_messages_per_s: Math.round(single.perSecond),
        sync_waiters: fan.waiters,
        sync_delay_p50_ms: round3(percentile(fan.delays, 50)),
        sync_delay_p99_ms: round3(p99),
        sync_delay_max_ms: round3(fan.delays[fan.delays.length - 1]!),
        goal: `sync fan-out p99 < ${GOAL_P99_MS} ms at ${waiterCount} waiters ${p99 < GOAL_P99_MS ? "(met)" : "(missed)"}`,
        server_peak_rss_mb: Math.round(peakRss / (1024 * 1024)),
      },
      tables: [sendTable, fanTable],
      charts: [{ title: "Client API messages/s vs concurrent users", xLabel: "users sending", yLabel: "messages/s", logX: true, series: [...bySetup.values()] }],
      notes: [
        "The limit column: each configuration's rate ÷ one user sending alone (same run, same server): how much concurrency buys. Runner event-loop use near 1 would mean the load generator, not the server, was the bottleneck.",
        `Fan-out: ${rounds} rounds after a warm-up; delays pooled over all rounds (${fan.delays.length} arrivals). Arrival = the /sync response head reaching the waiters process (its own event-loop use is shown; it shares the machine's ${cores} cores with the server). Each round waits ${SETTLE_MS} ms after the long-polls are sent so the server has parked them all.`,
        ...profileNotes(profiles),
      ],
    };
  },
};
