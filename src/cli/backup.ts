/**
 * `conflux backup`: a consistent copy of the database while the server runs, plus the key
 * material, into a new directory laid out like a data directory.
 *
 * Why this is safe live: LMDB is copy-on-write and a read transaction sees one committed
 * snapshot for as long as it is open, whatever writers do meanwhile. The copy is LMDB's own
 * `mdb_env_copy2` (lmdb-js `backup()`), which reads inside one such transaction, so it holds
 * exactly the state of one commit: every event acknowledged before the backup started, no
 * half-written room. Copying `data.mdb` with `cp` while the server writes is NOT safe: the
 * file changes under the copy and the result can mix pages of different commits.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { open } from "lmdb";
import { databasePath } from "../server.js";
import { CONFIG_OPTION, DEFAULT_CONFIG_PATH, err, out, parseOptions, stringOption, UsageError, type Command } from "./command.js";
import { resolveConfig } from "./config-file.js";

export const backupCommand: Command = {
  name: "backup",
  summary: "Copy the database and keys while the server runs",
  usage: `Usage: conflux backup --output DIR [--compact] [--config FILE]

Writes a consistent snapshot of the running (or stopped) server's database to DIR/db/data.mdb,
and copies the signing key, TLS certificate and key and the configuration file into DIR.
Safe while the server runs: the copy is one LMDB read transaction (one committed state).

  -o, --output DIR    Where to write; must not exist or be empty
  --compact           Leave out free pages (smaller copy, takes longer)
  -c, --config FILE   Configuration file (default ${DEFAULT_CONFIG_PATH}, else built-in defaults)

To restore: stop the server, put DIR/db/data.mdb at <data_dir>/db/data.mdb (delete
<data_dir>/db/lock.mdb), restore the key files, start.
`,
  async run(args) {
    const values = parseOptions(args, { ...CONFIG_OPTION, output: { type: "string", short: "o" }, compact: { type: "boolean" } });
    if (!values) {
      out(this.usage);
      return 0;
    }
    const output = stringOption(values, "output");
    if (output === undefined) throw new UsageError("--output is required");
    if (existsSync(output) && (!statSync(output).isDirectory() || readdirSync(output).length > 0)) {
      err(`conflux backup: ${output} exists and is not an empty directory`);
      return 1;
    }
    const { config, path: configPath } = resolveConfig(stringOption(values, "config"), false);
    const source = databasePath(config);
    if (!existsSync(join(source, "data.mdb"))) {
      err(`conflux backup: no database at ${source}`);
      return 1;
    }

    const target = join(output, "db");
    mkdirSync(target, { recursive: true, mode: 0o700 });
    // Read-only: this process never writes the live environment; LMDB readers in another
    // process do not block the server's writer.
    const env = open({ path: source, readOnly: true });
    try {
      await env.backup(target, values.compact === true);
    } finally {
      await env.close();
    }
    out(`database: wrote ${join(target, "data.mdb")} (${statSync(join(target, "data.mdb")).size} bytes)`);

    const files = [config.signing_key_path, config.tls.certificate_path, config.tls.private_key_path, ...(configPath ? [configPath] : [])];
    for (const file of files) {
      if (!existsSync(file)) continue;
      const copy = join(output, basename(file));
      copyFileSync(file, copy);
      out(`copied ${file} → ${copy}`);
    }
    return 0;
  },
};
