/**
 * GET /_matrix/federation/v1/version (server-server API "Server implementation").
 * Unauthenticated; the answer never changes while the process runs.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RouteRegistrar } from "../app.js";
import { json } from "../http/request.js";

export const IMPLEMENTATION_NAME = "Conflux";

/** Our version from package.json, found by walking up from this file (src/ or dist/src/). */
export const IMPLEMENTATION_VERSION: string = readPackageVersion();

function readPackageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "conflux" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not here; keep walking up
    }
    dir = dirname(dir);
  }
  return "unknown";
}

export const registerFederationVersionRoutes: RouteRegistrar = (router) => {
  const response = json({ server: { name: IMPLEMENTATION_NAME, version: IMPLEMENTATION_VERSION } });
  router.get("/_matrix/federation/v1/version", () => response);
};
