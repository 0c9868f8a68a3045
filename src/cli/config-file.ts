/**
 * Finding the configuration for a CLI command, and writing generated ones.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { defaultConfigFile, loadConfig, parseConfig, renderConfigYaml, type Config, type ConfigOverrides } from "../config.js";
import { DEFAULT_CONFIG_PATH } from "./command.js";

export interface ResolvedConfig {
  readonly config: Config;
  /** The file it came from; `undefined` when running on built-in defaults. */
  readonly path: string | undefined;
  /** True when the default file was written just now. */
  readonly created: boolean;
}

/**
 * `--config FILE` must exist. Without it, `data/homeserver.yaml` is used when present;
 * otherwise `createDefault` writes the defaults there first (first `start`), or the built-in
 * defaults are used as they are.
 */
export function resolveConfig(explicitPath: string | undefined, createDefault: boolean): ResolvedConfig {
  if (explicitPath !== undefined) return { config: loadConfig(explicitPath), path: explicitPath, created: false };
  if (existsSync(DEFAULT_CONFIG_PATH)) return { config: loadConfig(DEFAULT_CONFIG_PATH), path: DEFAULT_CONFIG_PATH, created: false };
  if (!createDefault) return { config: parseConfig({}, { env: process.env }), path: undefined, created: false };
  writeConfigFile(DEFAULT_CONFIG_PATH, renderGeneratedConfig({}), false);
  return { config: loadConfig(DEFAULT_CONFIG_PATH), path: DEFAULT_CONFIG_PATH, created: true };
}

/**
 * Commented YAML for a new configuration. `pool.size` is left out so it keeps following the
 * core count of whichever machine runs the server, not the one that generated the file.
 */
export function renderGeneratedConfig(overrides: ConfigOverrides): string {
  const file = defaultConfigFile(overrides);
  const pool: Partial<typeof file.pool> = { ...file.pool };
  if (overrides.pool?.size === undefined) delete pool.size;
  return renderConfigYaml({ ...file, pool } as typeof file);
}

export function writeConfigFile(path: string, yaml: string, overwrite: boolean): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, yaml, { mode: 0o600, flag: overwrite ? "w" : "wx" });
}
