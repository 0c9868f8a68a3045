/**
 * Our users' device-list updates to other servers (server-server-api.md "Device Management"):
 * "Servers must send m.device_list_update EDUs to all the servers who share a room with a given
 * local user, and must be sent whenever that user's device list changes (i.e. for new or
 * deleted devices, when that user joins a room which contains servers which are not already
 * receiving updates for that user's device list, or changes in device information …)".
 *
 *   accounts device-list stream ──onChange──► publish(): entries after the cursor, one EDU each
 *   (src/accounts/device-list-edus.ts builds it; m.signing_key_update for cross-signing
 *   changes), queued for the user's destinations; cursor (sync_meta) moved IN THE SAME WRITE,
 *   so after a crash nothing is skipped (at worst an EDU is queued twice, which receivers
 *   recognise by its stream_id).
 *
 * Joining a room with new servers: the user's devices are recorded again as changes of the
 * stream, so they go out, chained as usual, to every destination now including the new ones
 * (who see a `prev_id` they never had, or no list at all, and resynchronise the whole list as
 * the spec requires).
 */
import { deviceListEdu } from "../../accounts/device-list-edus.js";
import { accountsOf } from "../../accounts/of-app.js";
import type { App } from "../../app.js";
import { domainOf } from "../../events/ids.js";
import { stateKey } from "../../events/types.js";
import { logger } from "../../log.js";
import { outboundOf } from "../../outbound/queue/index.js";
import { MEMBER } from "../../rooms/auth/types.js";
import { userDestinations } from "./destinations.js";

const BATCH = 200;
const CURSOR = "device_list_outbound_pos";
const log = logger("client.device-list-out");

const started = new WeakSet<App>();

export function startDeviceListPublisher(app: App): void {
  if (started.has(app)) return;
  started.add(app);
  const accounts = accountsOf(app);
  let running = false;
  let again = false;

  const step = async (): Promise<boolean> => {
    const cursor = app.storage.store.dbs.syncMeta.get(CURSOR) ?? 0;
    const upTo = accounts.deviceLists.position();
    if (cursor >= upTo) return false;
    const changes = accounts.deviceLists.since(cursor, BATCH, upTo);
    if (changes.length === 0) return false;
    const queues = outboundOf(app);
    const woken = new Set<string>();
    // A batch is often one user's many devices: their destinations are the same for all.
    const destinationsOf = new Map<string, Set<string>>();
    await app.storage.write((w) => {
      for (const change of changes) {
        const edu = deviceListEdu(accounts, change);
        if (edu === undefined) continue;
        let destinations = destinationsOf.get(change.userId);
        if (destinations === undefined) destinationsOf.set(change.userId, (destinations = userDestinations(app, change.userId)));
        if (destinations.size === 0) continue;
        queues.store.enqueueEdu(w, destinations, JSON.stringify(edu));
        for (const d of destinations) woken.add(d);
      }
      w.put("syncMeta", CURSOR, changes[changes.length - 1]!.position);
    });
    for (const d of woken) queues.sender.wake(d);
    return changes.length === BATCH;
  };

  const publish = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    void (async () => {
      try {
        do {
          again = false;
          while (await step());
        } while (again);
      } catch (err) {
        log.warn({ err }, "could not queue device-list updates");
      } finally {
        running = false;
      }
    })();
  };

  accounts.deviceLists.onChange(publish);
  app.rooms.onCommitted((ctx, infos) => {
    for (const info of infos) {
      const ev = info.event;
      if (info.status !== "accepted" || ev.type !== MEMBER || ev.stateKey === undefined || ev.content.membership !== "join") continue;
      const userId = ev.stateKey;
      if (domainOf(userId) !== app.serverName) continue;
      const before = app.storage.state.get(info.stateBefore, stateKey(MEMBER, userId));
      if (before !== undefined && app.rooms.loader.byNid(before)?.content.membership === "join") continue;
      if (!bringsNewServers(app, ctx.roomNid, userId)) continue;
      announceDevices(app, userId).catch((err: unknown) => log.warn({ err, user_id: userId }, "could not announce devices to new servers"));
    }
  });
  publish();
}

/** Servers in `roomNid` that share no other room with `userId` (besides us). */
function bringsNewServers(app: App, roomNid: number, userId: string): boolean {
  const rooms = app.storage.rooms;
  const known = new Set<string>([app.serverName]);
  for (const r of rooms.roomsOfUser(userId, "join")) {
    if (r.roomNid !== roomNid) for (const s of rooms.joinedServers(r.roomNid)) known.add(s);
  }
  return rooms.joinedServers(roomNid).some((s) => !known.has(s));
}

async function announceDevices(app: App, userId: string): Promise<void> {
  const accounts = accountsOf(app);
  const devices = accounts.devices.list(userId);
  if (devices.length === 0) return;
  await app.storage.write((w) => {
    for (const d of devices) accounts.deviceLists.record(w, userId, d.deviceId);
  });
  accounts.deviceLists.notify();
}
