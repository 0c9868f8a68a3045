#!/usr/bin/env node
/**
 * The `conflux` command line: `conflux <command> [options]`, `conflux <command> --help`.
 * Exit codes: 0 success, 1 failure (e.g. invalid configuration), 2 usage error.
 */
import { ConfigError } from "./config.js";
import { err, out, UsageError, type Command } from "./cli/command.js";
import { checkConfigCommand } from "./cli/check-config.js";
import { generateConfigCommand } from "./cli/generate-config.js";
import { generateKeysCommand } from "./cli/generate-keys.js";
import { registerUserCommand } from "./cli/register-user.js";
import { startCommand } from "./cli/start.js";
import { backupCommand } from "./cli/backup.js";

const COMMANDS: readonly Command[] = [
  startCommand,
  generateConfigCommand,
  generateKeysCommand,
  checkConfigCommand,
  registerUserCommand,
  backupCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: conflux <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `conflux <command> --help` for a command's options.",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? err : out)(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    err(`conflux: unknown command ${JSON.stringify(name)}\n`);
    err(overview());
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`conflux ${name}: ${e.message}\n`);
      err(command.usage);
      return 2;
    }
    if (e instanceof ConfigError) {
      err(e.message);
      return 1;
    }
    err(`conflux ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

// Exit explicitly: a stopped server must not be kept alive by a stray handle. stdout and
// stderr are synchronous for files and pipes on POSIX, so nothing written is lost.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
