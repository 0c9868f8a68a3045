/**
 * `npm run bench [-- <scenario>…] [--quick] [--json FILE] [--profile] [--out DIR]`
 *
 * Runs the chosen scenarios (all by default), shows progress on stderr, prints a Markdown
 * report on stdout and writes results.json, results.md and SVG charts to the run's folder
 * (bench/results/<timestamp>/ unless --out is given).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setLogLevel } from "../src/log.js";
import { Progress } from "./lib/progress.js";
import { machineInfo, renderMarkdown, writeReport } from "./lib/report.js";
import type { Scenario, ScenarioResult } from "./lib/types.js";
import { scenarios } from "./scenarios/index.js";

interface Args {
  names: string[];
  quick: boolean;
  profile: boolean;
  json?: string;
  out?: string;
  help: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { names: [], quick: false, profile: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    if (v === "--quick") a.quick = true;
    else if (v === "--profile") a.profile = true;
    else if (v === "--json") a.json = argv[++i];
    else if (v === "--out") a.out = argv[++i];
    else if (v === "--help" || v === "-h") a.help = true;
    else if (v.startsWith("--")) throw new Error(`unknown option ${v}`);
    else a.names.push(v);
  }
  return a;
}

function usage(all: Scenario[]): string {
  return [
    "usage: npm run bench -- [scenario…] [--quick] [--json FILE] [--profile] [--out DIR]",
    "",
    "scenarios:",
    ...all.map((s) => `  ${s.name.padEnd(10)} ${s.description}`),
  ].join("\n");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The remote doubles run in this process: their listeners' info lines would break up the report.
  if (process.env.CONFLUX_LOG_LEVEL === undefined) setLogLevel("warn");
  if (args.help) {
    console.log(usage(scenarios));
    return;
  }
  const chosen = args.names.length ? args.names : scenarios.map((s) => s.name);
  const unknown = chosen.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(", ")}\n${usage(scenarios)}`);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const repo = path.resolve(here, "..", "..");
  const outDir = path.resolve(args.out ?? path.join(repo, "bench", "results", new Date().toISOString().replace(/[:.]/g, "-")));
  const info = machineInfo(args.quick);
  const progress = new Progress();
  const results: ScenarioResult[] = [];
  for (const name of chosen) {
    const scenario = scenarios.find((s) => s.name === name)!;
    progress.begin(name);
    results.push(await scenario.run({ quick: args.quick, profile: args.profile, outDir, progress }));
    progress.end();
  }
  console.log(renderMarkdown(info, results));
  const files = writeReport(outDir, info, results, args.json);
  console.log(`\nWrote:\n${files.map((f) => `  ${f}`).join("\n")}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
