/**
 * The server's one `Accounts`, built on first use from the App's storage, crypto pool and
 * server name. (A field on `App` would be the natural home; until src/app.ts grows one, this
 * keeps a single instance per App without every caller constructing its own, which would
 * split the per-device mutexes and listeners.)
 */
import type { App } from "../app.js";
import { Accounts } from "./accounts.js";

const instances = new WeakMap<App, Accounts>();

export function accountsOf(app: App): Accounts {
  let accounts = instances.get(app);
  if (accounts === undefined) {
    accounts = new Accounts({ storage: app.storage, crypto: app.pool, serverName: app.serverName });
    instances.set(app, accounts);
  }
  return accounts;
}
