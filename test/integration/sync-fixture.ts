/**
 * Shared by the sync*.test.ts and ephemeral*.test.ts files: one real Conflux, users created
 * through the accounts module (no password: no argon2id cost), rooms changed through the room
 * service (the same path the client room endpoints take), and /sync over HTTP.
 */
import { expect } from "vitest";
import { accountsOf } from "../../src/accounts/of-app.js";
import type { App } from "../../src/app.js";
import { syncContextOf } from "../../src/client/sync/context.js";
import type { ConfigOverrides } from "../../src/config.js";
import { getRoomVersion } from "../../src/events/room-versions.js";
import type { JsonObject } from "../../src/events/types.js";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import { request, type TestResponse } from "../helpers/http.js";
import { startTestServer, type TestServer, type TestServerOptions } from "../helpers/server.js";

export const V3 = "/_matrix/client/v3";

export const SYNC_TEST_OVERRIDES = {
  limits: { client_rate_per_second: 10_000, client_rate_burst: 10_000 },
} as ConfigOverrides;

export interface User {
  readonly userId: string;
  readonly token: string;
  readonly deviceId: string;
}

export interface SyncBody {
  next_batch: string;
  rooms: {
    join: Record<string, JoinedRoom>;
    invite: Record<string, { invite_state: { events: JsonObject[] } }>;
    knock: Record<string, { knock_state: { events: JsonObject[] } }>;
    leave: Record<string, JoinedRoom>;
  };
  presence: { events: JsonObject[] };
  account_data: { events: JsonObject[] };
  to_device: { events: JsonObject[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
}

export interface JoinedRoom {
  timeline: { events: ClientEvent[]; limited: boolean; prev_batch?: string };
  state?: { events: ClientEvent[] };
  state_after?: { events: ClientEvent[] };
  ephemeral?: { events: JsonObject[] };
  account_data?: { events: JsonObject[] };
  summary?: JsonObject;
}

export interface ClientEvent {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: JsonObject;
  unsigned?: JsonObject;
  [k: string]: unknown;
}

export class SyncFixture {
  private counter = 0;

  private constructor(readonly server: TestServer) {}

  static async start(options: TestServerOptions = {}): Promise<SyncFixture> {
    return new SyncFixture(await startTestServer({ ...options, overrides: { ...SYNC_TEST_OVERRIDES, ...(options.overrides ?? {}) } }));
  }

  get app(): App {
    return this.server.server.app;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** A local user with one logged-in device. */
  async user(localpart: string): Promise<User> {
    const userId = `@${localpart}:${this.app.serverName}`;
    const { session } = await accountsOf(this.app).register({ userId, password: null, session: {} });
    return { userId, token: session!.accessToken, deviceId: session!.deviceId };
  }

  /** Another device of an existing user. */
  async login(userId: string): Promise<User> {
    const s = await accountsOf(this.app).login(userId);
    return { userId, token: s.accessToken, deviceId: s.deviceId };
  }

  async createRoom(creator: User, opts: { name?: string; joinRule?: string; encrypted?: boolean; version?: string; history?: string } = {}): Promise<string> {
    const alice = creator.userId;
    const { roomId } = await this.app.rooms.createRoom({
      version: getRoomVersion(opts.version ?? "11")!,
      creator: alice,
      createContent: {},
      initialEvents: (): LocalEventSpec[] => [
        { type: "m.room.member", stateKey: alice, sender: alice, content: { membership: "join", displayname: "creator" } },
        { type: "m.room.power_levels", stateKey: "", sender: alice, content: { users: { [alice]: 100 }, invite: 0 } },
        { type: "m.room.join_rules", stateKey: "", sender: alice, content: { join_rule: opts.joinRule ?? "public" } },
        { type: "m.room.history_visibility", stateKey: "", sender: alice, content: { history_visibility: opts.history ?? "shared" } },
        ...(opts.name !== undefined ? [{ type: "m.room.name", stateKey: "", sender: alice, content: { name: opts.name } }] : []),
        ...(opts.encrypted ? [{ type: "m.room.encryption", stateKey: "", sender: alice, content: { algorithm: "m.megolm.v1.aes-sha2" } }] : []),
      ],
    });
    return roomId;
  }

  membership(roomId: string, sender: User, target: string, membership: string): Promise<string> {
    return this.state(roomId, sender, "m.room.member", target, { membership });
  }

  async state(roomId: string, sender: User, type: string, stateKey: string, content: JsonObject): Promise<string> {
    return (await this.app.rooms.send(roomId, { type, stateKey, sender: sender.userId, content })).eventId;
  }

  async send(roomId: string, sender: User, body: string): Promise<string> {
    return (await this.app.rooms.send(roomId, { type: "m.room.message", sender: sender.userId, content: { msgtype: "m.text", body } })).eventId;
  }

  call(user: User | undefined, path: string, opts: { method?: string; body?: unknown } = {}): Promise<TestResponse> {
    const method = opts.method ?? (opts.body !== undefined ? "POST" : "GET");
    return request(`${this.server.clientUrl}${path.startsWith("/_matrix") ? path : V3 + path}`, {
      method,
      headers: {
        ...(user ? { Authorization: `Bearer ${user.token}` } : {}),
        ...(opts.body !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      ...(opts.body !== undefined ? { body: opts.body as object } : {}),
    });
  }

  async ok<T = JsonObject>(user: User | undefined, path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
    const res = await this.call(user, path, opts);
    expect(res.status, `${opts.method ?? "GET"} ${path}: ${res.text}`).toBe(200);
    return res.json<T>();
  }

  /**
   * GET /sync with the given query parameters. `set_presence` defaults to offline here, so a
   * sync does not change the user's own presence (which the next sync would then report).
   */
  sync(user: User, params: Record<string, string | number | boolean | object> = {}): Promise<SyncBody> {
    const q = new URLSearchParams({ set_presence: "offline" });
    for (const [k, v] of Object.entries(params)) q.set(k, typeof v === "object" ? JSON.stringify(v) : String(v));
    return this.ok<SyncBody>(user, `/sync?${q.toString()}`);
  }

  /** A fresh transaction ID. */
  txn(): string {
    return `t${Date.now()}-${this.counter++}`;
  }

  /** Resolves once `n` /sync requests are waiting (so a change made next must wake them). */
  async syncsWaiting(n: number): Promise<void> {
    const notifier = syncContextOf(this.app).notifier;
    for (let i = 0; i < 2000 && notifier.waiting < n; i++) await new Promise((r) => setTimeout(r, 5));
    expect(notifier.waiting).toBeGreaterThanOrEqual(n);
  }
}

export function eventIds(events: readonly { event_id: string }[]): string[] {
  return events.map((e) => e.event_id);
}

export function bodies(events: readonly ClientEvent[]): unknown[] {
  return events.filter((e) => e.type === "m.room.message").map((e) => e.content.body);
}
