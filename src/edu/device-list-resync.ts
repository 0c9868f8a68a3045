/**
 * Full resynchronisation of a remote user's device list (server-server-api.md "Device
 * Management": on an unrecognised `prev_id` the receiver "must resynchronise its list"): ask
 * the user's own server for `GET /_matrix/federation/v1/user/devices/{userId}` and replace the
 * cached list with the answer, whose `stream_id` the following m.device_list_update EDUs
 * continue from.
 *
 * `schedule` runs a resync in the background (inbound EDUs never wait on a remote server);
 * `ensureFresh` is the on-demand path (/keys/query for a stale user). At most one resync per
 * user runs at a time, and a failed one is not retried for `retryAfterMs`.
 */
import { domainOf } from "../events/ids.js";
import type { JsonObject } from "../events/types.js";
import type { Logger } from "../log.js";
import type { CrossSigningKeys, RemoteDevice, RemoteDeviceLists } from "./device-lists.js";
import { isJsonObject } from "../json.js";

/** The part of the federation client a resync needs. */
export interface DeviceListTransport {
  get<T = unknown>(destination: string, pathAndQuery: string, opts?: { timeoutMs?: number }): Promise<T>;
}

export interface ResyncOptions {
  readonly timeoutMs?: number;
  readonly retryAfterMs?: number;
}

export class DeviceListResyncer {
  private readonly running = new Map<string, Promise<boolean>>();
  private readonly failedAt = new Map<string, number>();
  private readonly timeoutMs: number;
  private readonly retryAfterMs: number;

  constructor(
    private readonly lists: RemoteDeviceLists,
    private readonly transport: DeviceListTransport,
    private readonly log: Logger,
    opts: ResyncOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retryAfterMs = opts.retryAfterMs ?? 60_000;
  }

  /** Resync in the background unless one is running or recently failed. */
  schedule(userId: string): void {
    const failed = this.failedAt.get(userId);
    if (failed !== undefined && Date.now() - failed < this.retryAfterMs) return;
    void this.resync(userId);
  }

  /** Resync now if the list is stale or unknown; resolves with whether the list is fresh. */
  async ensureFresh(userId: string): Promise<boolean> {
    const state = this.lists.state(userId);
    if (state && !state.stale) return true;
    return this.resync(userId);
  }

  /** Fetch and store the user's whole list; resolves false (logged) on any failure. */
  resync(userId: string): Promise<boolean> {
    let p = this.running.get(userId);
    if (!p) {
      p = this.run(userId).finally(() => this.running.delete(userId));
      this.running.set(userId, p);
    }
    return p;
  }

  private async run(userId: string): Promise<boolean> {
    const server = domainOf(userId);
    if (server === null) return false;
    try {
      const body = await this.transport.get<unknown>(server, `/_matrix/federation/v1/user/devices/${encodeURIComponent(userId)}`, {
        timeoutMs: this.timeoutMs,
      });
      const parsed = parseUserDevices(body, userId);
      if (!parsed) throw new Error("malformed /user/devices response");
      await this.lists.replaceList(userId, parsed.streamId, parsed.devices, parsed.keys);
      this.failedAt.delete(userId);
      return true;
    } catch (err) {
      this.failedAt.set(userId, Date.now());
      if (this.failedAt.size > 10_000) this.failedAt.clear();
      this.log.info({ user_id: userId, err: err instanceof Error ? err.message : String(err) }, "device list resync failed");
      return false;
    }
  }
}

/** user_devices.yaml response → devices, stream_id and cross-signing keys; undefined if malformed. */
export function parseUserDevices(
  body: unknown,
  userId: string,
): { streamId: number | undefined; devices: RemoteDevice[]; keys: CrossSigningKeys } | undefined {
  if (!isJsonObject(body) || body.user_id !== userId) return undefined;
  const streamId = Number.isSafeInteger(body.stream_id) ? (body.stream_id as number) : undefined;
  if (!Array.isArray(body.devices)) return undefined;
  const devices: RemoteDevice[] = [];
  for (const d of body.devices) {
    if (!isJsonObject(d) || typeof d.device_id !== "string") continue;
    devices.push({
      deviceId: d.device_id,
      ...(typeof d.device_display_name === "string" ? { displayName: d.device_display_name } : {}),
      ...(isJsonObject(d.keys) ? { keys: d.keys } : {}),
    });
  }
  const keys: CrossSigningKeys = {
    ...(crossSigningKeyOf(body.master_key, userId, "master") ? { master: body.master_key as JsonObject } : {}),
    ...(crossSigningKeyOf(body.self_signing_key, userId, "self_signing") ? { selfSigning: body.self_signing_key as JsonObject } : {}),
  };
  return { streamId, devices, keys };
}

/** A cross_signing_key.yaml object for `userId` with `usage` including `usage`. */
export function crossSigningKeyOf(v: unknown, userId: string, usage: string): v is JsonObject {
  return (
    isJsonObject(v) &&
    v.user_id === userId &&
    Array.isArray(v.usage) &&
    v.usage.includes(usage) &&
    isJsonObject(v.keys) &&
    Object.values(v.keys).every((k) => typeof k === "string")
  );
}

