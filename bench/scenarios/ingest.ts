/**
 * `ingest`: federation /send throughput of a real Conflux process, fed by a load generator in
 * its own process that plays several remote homeservers over HTTPS on loopback.
 *
 * Per configuration (concurrency = number of remote servers, each with one transaction in flight
 * as the spec requires; batch = PDUs per transaction): accepted events/s, p50/p99 transaction
 * latency, server CPU-seconds per 1 000 events, server peak RSS, and the ratio of events/s to
 * the machine's ed25519 limit (cores × raw single-thread verify rate, measured in this run).
 * At the end the server is stopped and its database opened to check that every event a /send
 * response accepted is stored. The generator's own ceiling (same transactions against a sink
 * that answers at once) shows whether it was the bottleneck.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { Storage } from "../../src/storage/storage.js";
import { createRoom, register } from "../lib/client-api.js";
import { createRemoteIdentity, type RemoteIdentity } from "../lib/remote-homeserver.js";
import { ServerProcess } from "../lib/server-process.js";
import { percentile, round3 } from "../lib/stats.js";
import type { Scenario, ScenarioContext, ScenarioResult, Series } from "../lib/types.js";
import type { GeneratorPlan, GeneratorResult } from "../ingest/generator.js";
import { makeSignedMessages, rawVerifyRate } from "./crypto.js";
import { freePort } from "../lib/ports.js";
import { collectServerProfiles, profileNotes, rawProfileDir } from "../lib/profiles.js";

const GENERATOR_JS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "ingest", "generator.js");

interface RunConfig {
  concurrency: number;
  batch: number;
}

async function runGenerator(ctx: ScenarioContext, plan: GeneratorPlan, onReady: () => void, onDone: () => void): Promise<GeneratorResult> {
  const planPath = path.join(path.dirname(plan.acceptedFile), `plan-${plan.mode}-${Date.now()}.json`);
  fs.writeFileSync(planPath, JSON.stringify(plan));
  const child = spawn(process.execPath, [GENERATOR_JS, planPath], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, CONFLUX_LOG_LEVEL: "silent" },
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const rl = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`generator exited ${code}: ${stderr}`));
    });
    rl.on("line", (line) => {
      if (line === "READY") {
        onReady();
        child.stdin.write("GO\n");
        ctx.progress.update(`sending (${plan.mode})`);
      } else if (line.startsWith("RESULT ")) {
        onDone();
        resolve(JSON.parse(line.slice(7)) as GeneratorResult);
      }
    });
  });
}

export const ingestScenario: Scenario = {
  name: "ingest",
  description: "federation /send throughput of a Conflux process fed by a separate generator process playing remote servers",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const cores = os.availableParallelism();
    const { pdus, keys } = makeSignedMessages(500);
    ctx.progress.update("raw single-thread verify rate");
    const raw = rawVerifyRate(pdus, keys, ctx.quick ? 0.5 : 2);
    const limit = cores * raw;
    const configs: RunConfig[] = ctx.quick
      ? [{ concurrency: 4, batch: 50 }]
      : [
          { concurrency: 2, batch: 50 },
          { concurrency: 4, batch: 50 },
          { concurrency: 8, batch: 50 },
          { concurrency: 8, batch: 10 },
          { concurrency: 16, batch: 50 },
        ];
    // CONFLUX_BENCH_INGEST_EVENTS: a developer's knob for longer profiling runs.
    const eventsPerConfig = Number(process.env.CONFLUX_BENCH_INGEST_EVENTS) || (ctx.quick ? 4000 : 20_000);
    const roomsPerRemote = 2;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "conflux-bench-ingest-"));
    const maxRemotes = Math.max(...configs.map((c) => c.concurrency));
    const identities: RemoteIdentity[] = [];
    for (let i = 0; i < maxRemotes; i++) identities.push(createRemoteIdentity(path.join(work, `remote${i}`), await freePort()));
    const profileDir = ctx.profile ? rawProfileDir(work, "ingest") : undefined;
    const server = await ServerProcess.start({
      dir: path.join(work, "server"),
      federationPort: await freePort(),
      clientPort: await freePort(),
      trustedCaPaths: identities.map((i) => i.certPath),
      poolSize: cores,
      ...(profileDir ? { profileDir } : {}),
    });
    const rows: (string | number)[][] = [];
    const seriesByBatch = new Map<number, Series>();
    const acceptedFiles: string[] = [];
    let peakRss = 0;
    let best = { rate: 0, cfg: configs[0]! };
    try {
      const admin = await register(server.clientUrl, "benchadmin");
      for (const [ci, cfg] of configs.entries()) {
        ctx.progress.update(`config ${ci + 1}/${configs.length}: ${cfg.concurrency} servers, batch ${cfg.batch}: creating rooms`);
        const remotes = identities.slice(0, cfg.concurrency);
        const rooms: { roomId: string; remote: number }[] = [];
        for (let r = 0; r < cfg.concurrency * roomsPerRemote; r++) rooms.push({ roomId: await createRoom(admin), remote: r % cfg.concurrency });
        const acceptedFile = path.join(work, `accepted-${ci}.txt`);
        acceptedFiles.push(acceptedFile);
        const plan: GeneratorPlan = {
          mode: "run",
          target: { serverName: server.serverName, host: "127.0.0.1", port: server.federationPort, caPath: server.certPath },
          remotes,
          rooms,
          eventsPerRoom: Math.ceil(eventsPerConfig / rooms.length),
          batch: cfg.batch,
          acceptedFile,
        };
        ctx.progress.update(`config ${ci + 1}/${configs.length}: joining and pre-signing`);
        let cpu0 = 0;
        let cpu1 = 0;
        const res = await runGenerator(
          ctx,
          plan,
          () => (cpu0 = server.cpuSeconds()),
          () => (cpu1 = server.cpuSeconds()),
        );
        if (res.failed > 0) throw new Error(`${res.failed} PDUs failed, e.g. ${res.firstErrors.join(" | ")}`);
        const rate = res.accepted / res.seconds;
        const lat = [...res.latenciesMs].sort((a, b) => a - b);
        peakRss = Math.max(peakRss, server.peakRssBytes());
        rows.push([
          cfg.concurrency,
          cfg.batch,
          res.accepted,
          Math.round(rate),
          round3(percentile(lat, 50)),
          round3(percentile(lat, 99)),
          round3(((cpu1 - cpu0) / res.accepted) * 1000),
          round3(rate / limit),
        ]);
        if (rate > best.rate) best = { rate, cfg };
        let s = seriesByBatch.get(cfg.batch);
        if (!s) seriesByBatch.set(cfg.batch, (s = { label: `batch ${cfg.batch}`, points: [] }));
        s.points.push({ x: cfg.concurrency, y: Math.round(rate) });
      }
    } finally {
      ctx.progress.update("stopping the server");
      await server.stop();
    }
    const profiles = profileDir ? collectServerProfiles(profileDir, ctx.outDir, "ingest") : undefined;

    ctx.progress.update("checking every accepted event is stored");
    const storage = Storage.open(path.join(server.dir, "db"));
    let missing = 0;
    let checked = 0;
    try {
      for (const f of acceptedFiles) {
        for (const id of fs.readFileSync(f, "utf8").split("\n").filter(Boolean)) {
          checked++;
          const rec = storage.events.getEvent(id);
          if (!rec || rec.status !== "accepted") missing++;
        }
      }
    } finally {
      await storage.close();
    }
    if (missing > 0) throw new Error(`${missing} of ${checked} accepted events are not stored`);

    ctx.progress.update("generator ceiling (null sink)");
    const sinkId = createRemoteIdentity(path.join(work, "sink"), await freePort());
    const nullRes = await runGenerator(
      ctx,
      {
        mode: "null",
        target: { serverName: "sink.invalid", host: "127.0.0.1", port: sinkId.port },
        remotes: identities.slice(0, best.cfg.concurrency),
        rooms: Array.from({ length: best.cfg.concurrency * roomsPerRemote }, (_, r) => ({ roomId: `!sink${r}:sink.invalid`, remote: r % best.cfg.concurrency })),
        eventsPerRoom: Math.ceil(eventsPerConfig / (best.cfg.concurrency * roomsPerRemote)),
        batch: best.cfg.batch,
        acceptedFile: path.join(work, "accepted-null.txt"),
        sinkTls: { certPath: sinkId.certPath, keyPath: sinkId.keyPath, port: sinkId.port },
      },
      () => undefined,
      () => undefined,
    );
    const generatorMax = nullRes.accepted / nullRes.seconds;
    fs.rmSync(work, { recursive: true, force: true });
    return {
      scenario: "ingest",
      summary: {
        cores,
        raw_verify_per_s_single_thread: Math.round(raw),
        limit_cores_x_raw: Math.round(limit),
        best_events_per_s: Math.round(best.rate),
        best_ratio_to_limit: round3(best.rate / limit),
        best_config: `${best.cfg.concurrency} servers × batch ${best.cfg.batch}`,
        goal: "≥ 0.5 × (cores × raw verify rate)",
        generator_max_events_per_s: Math.round(generatorMax),
        server_peak_rss_mb: Math.round(peakRss / (1024 * 1024)),
        accepted_events_verified_stored: checked,
        ...(profiles ? { profiles: profiles.files.map((f) => path.basename(f)).join(", ") } : {}),
      },
      tables: [
        {
          title: "Ingest over /send (HTTPS, full receipt pipeline, durable before 200)",
          columns: ["servers (txns in flight)", "PDUs/txn", "accepted", "events/s", "p50 txn ms", "p99 txn ms", "server CPU-s / 1000 ev", "÷ (cores × raw)"],
          rows,
        },
      ],
      charts: [{ title: "Ingest events/s vs concurrency", xLabel: "remote servers (transactions in flight)", yLabel: "events/s", series: [...seriesByBatch.values()] }],
      notes: [
        `Limit = ${cores} cores × ${Math.round(raw)} raw ed25519 verifies/s (single thread, this run). The generator runs on the same machine and competes for the same cores.`,
        `Generator ceiling against a null sink: ${Math.round(generatorMax)} events/s (${best.cfg.concurrency} servers, batch ${best.cfg.batch}).`,
        ...profileNotes(profiles),
      ],
    };
  },
};
