/**
 * Where the compiled worker scripts live. Workers always run compiled JS from `dist/workers/`
 * (worker threads do not go through vitest's transform), whether the caller is compiled code
 * in `dist/src/` or TypeScript run by vitest from `src/`; `npm test` builds first.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find the Conflux package root");
    dir = parent;
  }
  root = dir;
  return dir;
}

export function workerScriptPath(file: string): string {
  const p = path.join(packageRoot(), "dist", "workers", file);
  if (!fs.existsSync(p)) throw new Error(`worker script ${p} is missing: run \`npm run build\` first`);
  return p;
}
