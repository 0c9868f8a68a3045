import { defineConfig } from "vitest/config";

// Integration tests start real servers (HTTPS, LMDB, worker pools) on loopback; they are
// slow to boot on 2-core machines, hence the generous per-test timeouts. No test asserts timing.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ["default"],
  },
});
