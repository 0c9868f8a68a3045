/**
 * vitest globalSetup (to be listed in vitest.config.ts): a freshness check of dist/ so tests
 * that run the compiled CLI work under a bare `npx vitest run`. Nothing heavy when the build
 * is current.
 */
import { ensureBuilt } from "./build.js";

export default function setup(): void {
  ensureBuilt();
}
