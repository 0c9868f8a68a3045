/** Temporary directories under os.tmpdir(), removed by `cleanup()` (call it in afterAll). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDir {
  readonly path: string;
  cleanup(): void;
}

export function tempDir(prefix = "conflux-test-"): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
