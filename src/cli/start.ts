/**
 * `conflux start`: run the server until SIGINT/SIGTERM, then stop gracefully (in-flight
 * requests finish; a second signal exits at once).
 */
import { setLogLevel, logger } from "../log.js";
import { startServer } from "../server.js";
import { CONFIG_OPTION, DEFAULT_CONFIG_PATH, out, parseOptions, stringOption, type Command } from "./command.js";
import { resolveConfig } from "./config-file.js";

export const startCommand: Command = {
  name: "start",
  summary: "Run the homeserver",
  usage: `Usage: conflux start [--config FILE]

Runs the homeserver until SIGINT or SIGTERM.

  -c, --config FILE   Configuration file. Default: ${DEFAULT_CONFIG_PATH}, written with
                      defaults on first run. The signing key and a self-signed TLS
                      certificate are generated in data_dir when missing.
`,
  async run(args) {
    const values = parseOptions(args, CONFIG_OPTION);
    if (!values) {
      out(this.usage);
      return 0;
    }
    const { config, path, created } = resolveConfig(stringOption(values, "config"), true);
    setLogLevel(config.log_level);
    const log = logger("main");
    if (created) log.info({ path }, "wrote default configuration");
    const server = await startServer(config);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    log.info({ signal }, "shutting down");
    const force = (): never => process.exit(1);
    process.once("SIGINT", force);
    process.once("SIGTERM", force);
    await server.stop();
    return 0;
  },
};
