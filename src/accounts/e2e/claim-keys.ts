/**
 * Claim one-time keys of local users (client-server `/keys/claim`, server-server
 * `/user/keys/claim`, user_keys.yaml): per requested (user, device, algorithm), the oldest
 * unclaimed one-time key, else the device's fallback key, else nothing (the device is then
 * left out of the result). Each one-time key is handed out at most once: see one-time-keys.ts.
 * Devices are claimed concurrently; each claim is its own small write and they share commits.
 */
import type { JsonValue } from "../../events/types.js";
import type { Accounts } from "../accounts.js";

export type ClaimRequest = ReadonlyMap<string, ReadonlyMap<string, string>>;
export type ClaimResult = Record<string, Record<string, Record<string, JsonValue>>>;

/** `request`: user ID → device ID → algorithm. Non-local users are ignored. */
export async function claimLocalKeys(accounts: Accounts, request: ClaimRequest): Promise<ClaimResult> {
  const result: ClaimResult = {};
  const jobs: Promise<void>[] = [];
  for (const [userId, devices] of request) {
    if (!accounts.isLocal(userId)) continue;
    for (const [deviceId, algorithm] of devices) {
      if (!accounts.devices.exists(userId, deviceId)) continue;
      jobs.push(
        accounts.oneTimeKeys
          .exclusive(userId, deviceId, () =>
            accounts.storage.write(
              (w) =>
                accounts.oneTimeKeys.claim(w, userId, deviceId, algorithm) ?? accounts.fallbackKeys.claim(w, userId, deviceId, algorithm),
            ),
          )
          .then((claimed) => {
            if (claimed === undefined) return;
            ((result[userId] ??= {})[deviceId] ??= {})[claimed.keyName] = claimed.key;
          }),
      );
    }
  }
  await Promise.all(jobs);
  return result;
}
