/**
 * `conflux register-user`: create an account directly in the database, whatever
 * `registration.open` says (closed registration is the normal production setting; this is how
 * its operators create users). Safe while the server runs: LMDB serialises writers across
 * processes, and the account is created in one write that re-checks the user ID is free.
 * Logging in is left to the user's client (no device or token is created).
 */
import { readFileSync } from "node:fs";
import { Accounts } from "../accounts/accounts.js";
import { checkUsername } from "../accounts/username.js";
import { CryptoPool } from "../crypto/pool.js";
import { isMatrixError } from "../errors.js";
import { databasePath } from "../server.js";
import { Storage } from "../storage/storage.js";
import { CONFIG_OPTION, DEFAULT_CONFIG_PATH, err, out, parseOptions, stringOption, UsageError, type Command } from "./command.js";
import { resolveConfig } from "./config-file.js";

export const registerUserCommand: Command = {
  name: "register-user",
  summary: "Create a user account (works with registration closed)",
  usage: `Usage: conflux register-user --user NAME (--password PASSWORD | --password-file FILE) [--config FILE]

Creates the account @NAME:<server_name> with the given password.

  -u, --user NAME           Localpart (upper case is folded) or full user ID on this server
  -p, --password PASSWORD   The password (visible to other local users in the process list;
                            prefer --password-file)
  --password-file FILE      Read the password from the first line of FILE ("-" for stdin)
  -c, --config FILE         Configuration file (default ${DEFAULT_CONFIG_PATH}, else built-in defaults)
`,
  async run(args) {
    const values = parseOptions(args, {
      ...CONFIG_OPTION,
      user: { type: "string", short: "u" },
      password: { type: "string", short: "p" },
      "password-file": { type: "string" },
    });
    if (!values) {
      out(this.usage);
      return 0;
    }
    const user = stringOption(values, "user");
    if (user === undefined) throw new UsageError("--user is required");
    const password = readPassword(stringOption(values, "password"), stringOption(values, "password-file"));
    const { config } = resolveConfig(stringOption(values, "config"), false);

    const serverName = config.server_name;
    let localpart = user;
    if (user.startsWith("@")) {
      const colon = user.indexOf(":");
      if (colon < 0 || user.slice(colon + 1) !== serverName) {
        err(`conflux register-user: ${user} is not a user ID on ${serverName}`);
        return 1;
      }
      localpart = user.slice(1, colon);
    }
    const check = checkUsername(localpart, serverName);
    if (!check.ok) {
      err(`conflux register-user: ${check.error.message}`);
      return 1;
    }

    const storage = Storage.open(databasePath(config));
    const pool = new CryptoPool({ size: 1, maxQueue: 4 });
    try {
      const accounts = new Accounts({ storage, crypto: pool, serverName });
      await accounts.register({ userId: check.userId, password });
      out(`registered ${check.userId}`);
      return 0;
    } catch (e) {
      if (isMatrixError(e) && e.errcode === "M_USER_IN_USE") {
        err(`conflux register-user: ${check.userId} already exists`);
        return 1;
      }
      throw e;
    } finally {
      await pool.close();
      await storage.close();
    }
  },
};

function readPassword(inline: string | undefined, file: string | undefined): string {
  if ((inline === undefined) === (file === undefined)) throw new UsageError("give exactly one of --password and --password-file");
  const password = inline ?? readFileSync(file === "-" ? 0 : file!, "utf8").split(/\r?\n/, 1)[0]!;
  if (password.length === 0) throw new UsageError("the password must not be empty");
  return password;
}
