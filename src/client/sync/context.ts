/**
 * The services /sync reads, built once per App (`syncContextOf`). Building it connects the
 * sync notifier to every change feed (wake-sources.ts) and gives the to-device inboxes their
 * directory of local devices (a message to device `*` reaches every device of the user).
 */
import type { Accounts } from "../../accounts/accounts.js";
import { accountsOf } from "../../accounts/of-app.js";
import type { App } from "../../app.js";
import { eduServices, type EduServices } from "../../edu/index.js";
import { membershipStore, type MembershipStore } from "../../rooms/membership/membership-store.js";
import { accountDataSourceOf, type AccountDataSource } from "./account-data.js";
import { FilterStore } from "./filter-store.js";
import { SyncNotifier } from "./notifier.js";
import { SnapshotCache } from "./snapshot-cache.js";
import { connectWakeSources } from "./wake-sources.js";

export interface SyncContext {
  readonly app: App;
  readonly edu: EduServices;
  readonly accounts: Accounts;
  readonly membership: MembershipStore;
  readonly filters: FilterStore;
  readonly notifier: SyncNotifier;
  /** Reads shared by syncs computed from the same committed data. */
  readonly snapshot: SnapshotCache;
  /** This process's boot ID (typing positions are only valid within one boot). */
  readonly boot: string;
  /** The installed account-data store, if any. */
  accountData(): AccountDataSource | undefined;
}

const contexts = new WeakMap<App, SyncContext>();

export function syncContextOf(app: App): SyncContext {
  let ctx = contexts.get(app);
  if (ctx !== undefined) return ctx;
  const accounts = accountsOf(app);
  const edu = eduServices(app);
  ctx = {
    app,
    edu,
    accounts,
    membership: membershipStore(app.storage),
    filters: new FilterStore(app.storage),
    notifier: new SyncNotifier(),
    snapshot: new SnapshotCache(app.storage),
    boot: Date.now().toString(36),
    accountData: () => accountDataSourceOf(app),
  };
  contexts.set(app, ctx);
  if (edu.localDevices === undefined) {
    edu.setLocalDeviceDirectory({
      devicesOf: (userId) => (accounts.users.exists(userId) ? accounts.devices.list(userId).map((d) => d.deviceId) : undefined),
    });
  }
  connectWakeSources(ctx);
  return ctx;
}
