/**
 * The remote half of `/keys/query` and `/keys/claim` (client-server API "End-to-End
 * Encryption"; server-server user_keys.yaml): requested users are grouped by server, each
 * server is asked once (`POST /_matrix/federation/v1/user/keys/query|claim`), all in parallel
 * within the client's `timeout`, and a server that cannot answer is listed in `failures`
 * ("If any remote homeservers could not be reached, they are recorded here").
 *
 * A server may only speak for its own users: entries for other servers' users, and device
 * keys whose `user_id`/`device_id` disagree with where they are filed, are dropped.
 */
import type { App } from "../../app.js";
import { domainOf } from "../../events/ids.js";
import type { JsonObject, JsonValue } from "../../events/types.js";
import { logger } from "../../log.js";
import { RemoteError } from "../../outbound/errors.js";
import { isJsonObject } from "../../json.js";

const log = logger("client.keys.remote");

export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 30_000;
const MIN_TIMEOUT_MS = 1_000;

export type Failures = Record<string, JsonObject>;

/** The client's `timeout`, bounded to something a request can wait for. */
export function clampTimeout(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return DEFAULT_TIMEOUT_MS;
  return Math.min(MAX_TIMEOUT_MS, Math.max(MIN_TIMEOUT_MS, Math.floor(value)));
}

/** Group `userIds` by their server, skipping ours. */
export function byServer<T>(entries: Iterable<[string, T]>, ourServer: string): Map<string, Map<string, T>> {
  const out = new Map<string, Map<string, T>>();
  for (const [userId, value] of entries) {
    const server = domainOf(userId);
    if (server === null || server === ourServer) continue;
    let m = out.get(server);
    if (m === undefined) out.set(server, (m = new Map()));
    m.set(userId, value);
  }
  return out;
}

/** POST `path` to every server with its share of the request; calls `merge` with each answer. */
export async function fanOut<T>(
  app: App,
  path: string,
  groups: Map<string, Map<string, T>>,
  field: string,
  timeoutMs: number,
  merge: (server: string, response: JsonObject) => void,
): Promise<Failures> {
  const failures: Failures = {};
  await Promise.all(
    [...groups].map(async ([server, users]) => {
      try {
        const response = await app.federation.post<unknown>(server, path, { [field]: Object.fromEntries(users) as JsonValue }, { timeoutMs });
        if (!isJsonObject(response)) throw new Error("response is not a JSON object");
        merge(server, response);
      } catch (err) {
        log.info({ err, destination: server, path }, "remote key request failed");
        failures[server] =
          err instanceof RemoteError
            ? { status: err.status, ...(err.errcode ? { errcode: err.errcode } : {}), message: err.message }
            : { status: 503, message: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  return failures;
}

/** The entries of `map` (a response field) that belong to `server`'s users. */
export function ownEntries(map: unknown, server: string): [string, JsonObject][] {
  if (!isJsonObject(map)) return [];
  return Object.entries(map).filter((e): e is [string, JsonObject] => domainOf(e[0]) === server && isJsonObject(e[1]));
}

/** Device keys of one remote user, keeping only self-consistent entries. */
export function sanitiseDeviceKeys(userId: string, devices: JsonObject): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const [deviceId, keys] of Object.entries(devices)) {
    if (isJsonObject(keys) && keys.user_id === userId && keys.device_id === deviceId) out[deviceId] = keys;
  }
  return out;
}

