/**
 * `conflux check-config`: validate a configuration and say what a start would use. Exit 1
 * (with every problem listed by key path) when it is invalid.
 */
import { existsSync } from "node:fs";
import { ENV_OVERRIDES } from "../config.js";
import { CONFIG_OPTION, DEFAULT_CONFIG_PATH, out, parseOptions, stringOption, type Command } from "./command.js";
import { resolveConfig } from "./config-file.js";

export const checkConfigCommand: Command = {
  name: "check-config",
  summary: "Validate a configuration file",
  usage: `Usage: conflux check-config [--config FILE]

  -c, --config FILE   Configuration file (default ${DEFAULT_CONFIG_PATH}, else built-in defaults)

CONFLUX_* environment overrides are applied, as at start.
`,
  async run(args) {
    const values = parseOptions(args, CONFIG_OPTION);
    if (!values) {
      out(this.usage);
      return 0;
    }
    const { config, path } = resolveConfig(stringOption(values, "config"), false);
    const overridden = ENV_OVERRIDES.filter((o) => process.env[o.name] !== undefined).map((o) => o.name);
    const missing = (file: string): string => (existsSync(file) ? file : `${file} (generated on first start)`);
    out(`configuration OK: ${path ?? "built-in defaults"}`);
    out(`  server_name:  ${config.server_name}`);
    out(`  data_dir:     ${config.data_dir}`);
    const { federation, client } = config.listeners;
    out(`  federation:   https://${hostPort(federation.host, federation.port)}`);
    out(`  client:       ${client.tls ? "https" : "http"}://${hostPort(client.host, client.port)}`);
    out(`  signing key:  ${missing(config.signing_key_path)}`);
    out(`  certificate:  ${missing(config.tls.certificate_path)}`);
    if (overridden.length > 0) out(`  env overrides: ${overridden.join(", ")}`);
    return 0;
  },
};

function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
