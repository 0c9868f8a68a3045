/**
 * `conflux generate-config`: write a commented homeserver.yaml for the given name and
 * addresses (validated before anything is written).
 */
import { DEFAULT_CONFIG_PATH, out, parseOptions, stringOption, UsageError, type Command } from "./command.js";
import type { ConfigOverrides } from "../config.js";
import { renderGeneratedConfig, writeConfigFile } from "./config-file.js";

export const generateConfigCommand: Command = {
  name: "generate-config",
  summary: "Write a new configuration file",
  usage: `Usage: conflux generate-config [options]

  --server-name NAME          Server name, hostname[:port] (default 127.0.0.1:8448)
  --federation-listen H:P     Federation (HTTPS) listener (default 127.0.0.1:8448)
  --client-listen H:P         Client (HTTP) listener (default 127.0.0.1:8008)
  --data-dir DIR              Data directory (default ./data)
  --output FILE               Write here instead of stdout (e.g. ${DEFAULT_CONFIG_PATH})
  --force                     Overwrite an existing --output file

IPv6 listen addresses are bracketed: [::1]:8448.
`,
  async run(args) {
    const values = parseOptions(args, {
      "server-name": { type: "string" },
      "federation-listen": { type: "string" },
      "client-listen": { type: "string" },
      "data-dir": { type: "string" },
      output: { type: "string", short: "o" },
      force: { type: "boolean" },
    });
    if (!values) {
      out(this.usage);
      return 0;
    }
    const overrides: { -readonly [K in keyof ConfigOverrides]: ConfigOverrides[K] } = {};
    const serverName = stringOption(values, "server-name");
    if (serverName !== undefined) overrides.server_name = serverName;
    const dataDir = stringOption(values, "data-dir");
    if (dataDir !== undefined) overrides.data_dir = dataDir;
    const federation = stringOption(values, "federation-listen");
    const client = stringOption(values, "client-listen");
    overrides.listeners = {
      ...(federation !== undefined ? { federation: parseListen(federation, "--federation-listen") } : {}),
      ...(client !== undefined ? { client: parseListen(client, "--client-listen") } : {}),
    };
    const yaml = renderGeneratedConfig(overrides);
    const output = stringOption(values, "output");
    if (output === undefined) {
      out(yaml);
      return 0;
    }
    try {
      writeConfigFile(output, yaml, values.force === true);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new UsageError(`${output} exists; pass --force to overwrite it`);
      throw e;
    }
    out(`wrote ${output}`);
    return 0;
  },
};

/** `host:port` or `[ipv6]:port`. */
export function parseListen(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${flag}: expected host:port or [ipv6]:port, got ${JSON.stringify(text)}`);
  return { host: (m[1] ?? m[2])!, port };
}
