/**
 * `--profile`: CPU profiles the developer can open.
 *
 * Server processes run under `node --cpu-prof --cpu-prof-dir=<raw dir>`; node writes one
 * `CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile` per thread when the process exits
 * (thread 0 = main, 1.. = worker threads, i.e. the piscina crypto pool: verified, workers
 * write theirs when the pool closes them during the graceful stop). `collectServerProfiles`
 * keeps the main thread's and the busiest pool worker's, renamed `<label>-server-main` and
 * `<label>-server-worker`, in the results folder. In-process scenarios profile the runner's
 * own main thread through the inspector (`profileInProcess`).
 */
import fs from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";

export const HOW_TO_OPEN =
  'Open a .cpuprofile in Chrome DevTools (Performance tab → "Load profile…", or drag the file in) or at https://www.speedscope.app (drop the file; "Left Heavy" shows where the time goes).';

/**
 * A fresh directory for one server run's raw profiles, inside the scenario's temporary work
 * directory (so a failed run leaves nothing behind in the results folder).
 */
export function rawProfileDir(workDir: string, label: string): string {
  const dir = path.join(workDir, `raw-profiles-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export interface CollectedProfiles {
  /** Files written to the results folder. */
  files: string[];
  /** Worker threads that wrote a profile (the busiest one is kept). */
  workerThreads: number;
}

interface CpuProfileNode {
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}

/** Samples that were not idle, and whether the thread ran our worker entry point. */
function profileStats(file: string): { busy: number; poolWorker: boolean } {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: CpuProfileNode[] };
  let busy = 0;
  let poolWorker = false;
  for (const n of profile.nodes) {
    if (n.callFrame.functionName !== "(idle)" && n.callFrame.functionName !== "(program)") busy += n.hitCount ?? 0;
    if (n.callFrame.url.includes("/workers/")) poolWorker = true;
  }
  return { busy, poolWorker };
}

/**
 * Move the main thread's profile and the busiest pool worker's out of `rawDir` into `outDir`
 * as `<label>-server-main.cpuprofile` / `<label>-server-worker.cpuprofile`; remove `rawDir`.
 * Call after the server process has exited.
 */
export function collectServerProfiles(rawDir: string, outDir: string, label: string): CollectedProfiles {
  const entries = fs.existsSync(rawDir) ? fs.readdirSync(rawDir).filter((f) => f.endsWith(".cpuprofile")) : [];
  const thread = (f: string) => Number(f.split(".")[4]);
  const files: string[] = [];
  fs.mkdirSync(outDir, { recursive: true });
  // Copy, not rename: the raw directory is usually on another file system (the temp dir).
  const move = (from: string, to: string) => {
    fs.copyFileSync(from, to);
    fs.rmSync(from);
  };
  const main = entries.find((f) => thread(f) === 0);
  if (main) {
    const to = path.join(outDir, `${label}-server-main.cpuprofile`);
    move(path.join(rawDir, main), to);
    files.push(to);
  }
  const workers = entries
    .filter((f) => thread(f) > 0)
    .map((f) => ({ f, ...profileStats(path.join(rawDir, f)) }))
    .sort((a, b) => Number(b.poolWorker) - Number(a.poolWorker) || b.busy - a.busy);
  if (workers[0]) {
    const to = path.join(outDir, `${label}-server-worker.cpuprofile`);
    move(path.join(rawDir, workers[0].f), to);
    files.push(to);
  }
  fs.rmSync(rawDir, { recursive: true, force: true });
  return { files, workerThreads: workers.length };
}

/** Notes for a scenario's report: where the profiles are and how to open them. */
export function profileNotes(p: CollectedProfiles | undefined): string[] {
  if (!p) return [];
  if (p.files.length === 0) return ["--profile: no .cpuprofile was written (did the server exit cleanly?)."];
  const names = p.files.map((f) => path.basename(f)).join(", ");
  return [`CPU profiles: ${names} in ${path.dirname(p.files[0]!)} (${p.workerThreads} worker thread(s) profiled, the busiest pool worker kept). ${HOW_TO_OPEN}`];
}

/** Profile this process's main thread while `fn` runs; writes `<outDir>/<label>-runner.cpuprofile`. */
export async function profileInProcess<T>(outDir: string, label: string, fn: () => Promise<T>): Promise<{ result: T; file: string }> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 500 });
    await session.post("Profiler.start");
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      await session.post("Profiler.stop");
      throw err;
    }
    const { profile } = await session.post("Profiler.stop");
    fs.mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `${label}-runner.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    return { result, file };
  } finally {
    session.disconnect();
  }
}
