/**
 * Writes a bench run: `results.json` (machine-readable, every figure), `results.md` (the
 * Markdown tables operators paste into notes) and one SVG per chart, all in the run's folder.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { renderChartSvg } from "./svg-chart.js";
import type { ScenarioResult, Table } from "./types.js";

export interface RunInfo {
  startedAt: string;
  node: string;
  cpus: number;
  cpuModel: string;
  quick: boolean;
}

export function machineInfo(quick: boolean): RunInfo {
  return {
    startedAt: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    quick,
  };
}

export function markdownTable(t: Table): string {
  const head = `| ${t.columns.join(" | ")} |`;
  const sep = `| ${t.columns.map(() => "---").join(" | ")} |`;
  const rows = t.rows.map((r) => `| ${r.map(String).join(" | ")} |`);
  return [`**${t.title}**`, "", head, sep, ...rows].join("\n");
}

export function renderMarkdown(info: RunInfo, results: ScenarioResult[]): string {
  const parts = [
    `# Conflux bench — ${info.startedAt}`,
    "",
    `Node ${info.node}, ${info.cpus} cores (${info.cpuModel})${info.quick ? ", --quick" : ""}`,
  ];
  for (const r of results) {
    parts.push("", `## ${r.scenario}`, "");
    parts.push(...Object.entries(r.summary).map(([k, v]) => `- ${k}: **${v}**`));
    for (const t of r.tables) parts.push("", markdownTable(t));
    for (const n of r.notes) parts.push("", `> ${n}`);
  }
  return parts.join("\n") + "\n";
}

/** Write everything; returns the files written. */
export function writeReport(outDir: string, info: RunInfo, results: ScenarioResult[], jsonPath?: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const json = path.resolve(jsonPath ?? path.join(outDir, "results.json"));
  fs.writeFileSync(json, JSON.stringify({ info, results }, null, 2));
  files.push(json);
  const md = path.join(outDir, "results.md");
  fs.writeFileSync(md, renderMarkdown(info, results));
  files.push(md);
  for (const r of results) {
    r.charts.forEach((c, i) => {
      const f = path.join(outDir, `${r.scenario}-${i + 1}.svg`);
      fs.writeFileSync(f, renderChartSvg(c));
      files.push(f);
    });
  }
  return files;
}
