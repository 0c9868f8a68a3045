/** An `Accounts` over a real LMDB store in a temp dir and a real (cheap-argon2) crypto pool. */
import { join } from "node:path";
import { Accounts } from "../../../src/accounts/accounts.js";
import { CryptoPool } from "../../../src/crypto/pool.js";
import { Storage } from "../../../src/storage/storage.js";
import { tempDir } from "../../helpers/temp.js";

export const SERVER = "accounts.test";

export interface AccountsHarness {
  readonly accounts: Accounts;
  readonly storage: Storage;
  close(): Promise<void>;
}

export function accountsHarness(): AccountsHarness {
  const dir = tempDir("conflux-accounts-");
  const storage = Storage.open(join(dir.path, "db"));
  // libsodium's minimum argon2id cost: these tests are about accounts, not password hashing.
  const pool = new CryptoPool({ size: 1, passwordOpsLimit: 1, passwordMemLimit: 8192 });
  const accounts = new Accounts({ storage, crypto: pool, serverName: SERVER });
  return {
    accounts,
    storage,
    async close() {
      await pool.close();
      await storage.close();
      dir.cleanup();
    },
  };
}
