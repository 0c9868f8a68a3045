/**
 * Every CLI command answers `--help` (and `-h`) with its usage on stdout and exit 0
 * (src/main.ts, src/cli/*). The list is checked against `conflux --help`, so a command added
 * to the CLI without help coverage here fails this test.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_ENTRY, ensureBuilt } from "../helpers/build.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const COMMANDS = ["start", "generate-config", "generate-keys", "check-config", "register-user", "backup"];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe("conflux --help", () => {
  // An empty working directory: `--help` must not look for (or write) data/homeserver.yaml.
  let cwd: TempDir;
  const runs = new Map<string, Run>();

  function cli(args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI_ENTRY, ...args], { cwd: cwd.path, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    ensureBuilt();
    cwd = tempDir("conflux-cli-");
    // Every invocation at once: each is a Node start-up, not worth running one by one.
    const argvs = [["--help"], ...COMMANDS.map((c) => [c, "--help"]), ["backup", "-h"]];
    const results = await Promise.all(argvs.map((a) => cli(a)));
    argvs.forEach((a, i) => runs.set(a.join(" "), results[i]!));
  });

  afterAll(() => cwd?.cleanup());

  it("lists exactly the commands covered here", () => {
    const r = runs.get("--help")!;
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const listed = lines
      .slice(lines.indexOf("Commands:") + 1)
      .map((l) => /^ {2}(\S+) {2,}\S/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined);
    expect(listed.sort()).toEqual([...COMMANDS].sort());
  });

  for (const command of COMMANDS) {
    it(`${command} --help prints its usage and exits 0`, () => {
      const r = runs.get(`${command} --help`)!;
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(r.stdout).toMatch(new RegExp(`^Usage: conflux ${command}\\b`));
      expect(r.stdout.split("\n").length).toBeGreaterThan(3);
    });
  }

  it("-h is --help", () => {
    expect(runs.get("backup -h")).toEqual(runs.get("backup --help"));
  });

  it("--help writes nothing into the working directory", () => {
    expect(readdirSync(cwd.path)).toEqual([]);
  });
});
