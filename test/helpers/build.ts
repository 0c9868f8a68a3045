/**
 * Make sure `dist/` holds a build of the current sources, for tests that run the compiled CLI.
 * `npm test` builds first, so this is a cheap freshness check there; a bare `npx vitest run`
 * gets a build when `src/` changed since the last one. tsc still emits when someone else's
 * half-written file has type errors, so only a missing output counts as failure.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI_ENTRY = join(REPO_ROOT, "dist/src/main.js");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  if (existsSync(CLI_ENTRY) && statSync(CLI_ENTRY).mtimeMs >= newestMtime(join(REPO_ROOT, "src"))) return;
  const result = spawnSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  if (!existsSync(CLI_ENTRY)) throw new Error(`build failed:\n${result.stdout}\n${result.stderr}`);
}
