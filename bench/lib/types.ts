/**
 * The bench's contract: a scenario measures, the runner reports. Every scenario reports its
 * figures next to a limit measured in the same run on the same machine (e.g. the raw
 * single-thread ed25519 verify rate), because our machines are shared and noisy.
 */
import type { Progress } from "./progress.js";

export interface ScenarioContext {
  /** Smaller sizes and shorter runs (CI smoke, quick looks). */
  quick: boolean;
  /** Write .cpuprofile files of the processes under test into `outDir`. */
  profile: boolean;
  /** Where this run writes files (results, profiles, charts). */
  outDir: string;
  progress: Progress;
}

export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Plot x on a log scale (batch sizes, member counts). */
  logX?: boolean;
  series: Series[];
}

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface ScenarioResult {
  scenario: string;
  /** Headline figures, e.g. `{ raw_verify_per_s: 18500, ratio_batch_50: 0.83 }`. */
  summary: Record<string, number | string>;
  tables: Table[];
  charts: Chart[];
  notes: string[];
}

export interface Scenario {
  name: string;
  description: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
