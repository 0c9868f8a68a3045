/**
 * Shared by the sdk-federation*.test.ts files: three real Conflux servers federating over
 * HTTPS on loopback (A and B on 127.0.0.1, C on 127.0.0.3 so that a server ACL, which matches
 * names without their port, can deny C alone), with matrix-js-sdk clients running their own
 * sync loops against them. Users register through the SDK (UIA dummy stage); everything a
 * test asserts about what a user sees comes from the SDK's room model or its requests.
 */
import { expect } from "vitest";
import { ClientEvent, createClient, Direction, MatrixError, RoomEvent, SyncState, type MatrixClient, type MatrixEvent, type Room } from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startCluster, type Cluster, type FederatingNode } from "../helpers/two-servers.js";
import { waitFor } from "../helpers/wait.js";
import { CLIENT_TEST_OVERRIDES } from "./client-rooms-fixture.js";

export { waitFor };

/** The room versions the issue names: 7 (knocking), 10 (knock_restricted, integer power levels), 11, 12. */
export const ROOM_VERSIONS = ["7", "10", "11", "12"] as const;

export type Node = FederatingNode<TestServer>;

export interface SdkUser {
  readonly client: MatrixClient;
  readonly userId: string;
  readonly node: Node;
  /** Every live timeline event the client's sync loop delivered, by room. */
  readonly seen: Map<string, MatrixEvent[]>;
}

export class SdkFederation {
  private readonly users: SdkUser[] = [];

  private constructor(private readonly cluster: Cluster<TestServer>) {}

  /** `hosts`: one loopback address per server (A, B, C by default). */
  static async start(prefix: string, hosts: readonly string[] = ["127.0.0.1", "127.0.0.1", "127.0.0.3"]): Promise<SdkFederation> {
    if (!process.env.SDK_LOG) {
      sdkLogger.disableAll();
      // Child loggers keep their own level; this one reports rooms its own joinRoom made before sync did.
      (sdkLogger.getChild("MatrixRTCSessionManager") as typeof sdkLogger).disableAll();
    }
    const cluster = await startCluster({
      prefix,
      hosts,
      launch: (o) => startTestServer({ ...o, overrides: { ...CLIENT_TEST_OVERRIDES, ...o.overrides } }),
      appOf: (s) => s.server.app,
    });
    return new SdkFederation(cluster);
  }

  get a(): Node {
    return this.cluster.nodes[0]!;
  }
  get b(): Node {
    return this.cluster.nodes[1]!;
  }
  get c(): Node {
    return this.cluster.nodes[2]!;
  }

  /** Register `username` on `node` with the SDK and start its sync loop (resolves once PREPARED). */
  async user(node: Node, username: string): Promise<SdkUser> {
    const baseUrl = node.running.clientUrl;
    const anon = createClient({ baseUrl });
    const password = `${username}-password`;
    let session: string | undefined;
    try {
      await anon.registerRequest({ username, password });
    } catch (err) {
      // The first request is answered 401 with the UIA session; the second completes m.login.dummy.
      session = (err as MatrixError).data.session as string;
    }
    const res = await anon.registerRequest({ username, password, auth: { type: "m.login.dummy", session } });
    const client = createClient({ baseUrl, accessToken: res.access_token!, userId: res.user_id, deviceId: res.device_id! });
    const user: SdkUser = { client, userId: res.user_id, node, seen: new Map() };
    client.on(RoomEvent.Timeline, (ev: MatrixEvent, room: Room | undefined, toStart: boolean | undefined) => {
      if (!room || toStart) return;
      const list = user.seen.get(room.roomId) ?? [];
      list.push(ev);
      user.seen.set(room.roomId, list);
    });
    const prepared = new Promise<void>((resolve) => {
      client.on(ClientEvent.Sync, (state: SyncState) => {
        if (state === SyncState.Prepared) resolve();
      });
    });
    this.users.push(user);
    await client.startClient({ initialSyncLimit: 20 });
    await prepared;
    return user;
  }

  async stop(): Promise<void> {
    for (const u of this.users) u.client.stopClient();
    await this.cluster.stop();
  }
}

// ---- what a client sees ------------------------------------------------------------------

export function myMembership(user: SdkUser, roomId: string): string | undefined {
  return user.client.getRoom(roomId)?.getMyMembership();
}

/** `userId`'s membership in `roomId` as `viewer`'s client knows it from its sync loop. */
export function membershipSeenBy(viewer: SdkUser, roomId: string, userId: string): string | undefined {
  return viewer.client.getRoom(roomId)?.getMember(userId)?.membership;
}

export function waitForMyMembership(user: SdkUser, roomId: string, membership: string): Promise<void> {
  return waitFor(`${user.userId} to see itself ${membership} in ${roomId}`, () => myMembership(user, roomId) === membership);
}

export function waitForMembershipSeenBy(viewer: SdkUser, roomId: string, userId: string, membership: string): Promise<void> {
  return waitFor(`${viewer.userId} to see ${userId} ${membership} in ${roomId}`, () => membershipSeenBy(viewer, roomId, userId) === membership);
}

/** Bodies of the m.room.message events the client's sync loop delivered live, in order. */
export function syncedBodies(user: SdkUser, roomId: string): string[] {
  return (user.seen.get(roomId) ?? []).filter((e) => e.getType() === "m.room.message").map((e) => e.getContent().body as string);
}

/** Events of a type/state key the sync loop delivered for the room. */
export function syncedEvents(user: SdkUser, roomId: string, type: string, stateKey?: string): MatrixEvent[] {
  return (user.seen.get(roomId) ?? []).filter((e) => e.getType() === type && (stateKey === undefined || e.getStateKey() === stateKey));
}

export function waitForBody(user: SdkUser, roomId: string, body: string): Promise<void> {
  return waitFor(`${user.userId} to receive "${body}" in ${roomId}`, () => syncedBodies(user, roomId).includes(body));
}

/** The room's whole history through the SDK's /messages request, oldest first. */
export async function historyBodies(user: SdkUser, roomId: string): Promise<string[]> {
  const events: MatrixEvent[] = [];
  let from: string | null = null;
  for (let page = 0; page < 20; page++) {
    const res = await user.client.createMessagesRequest(roomId, from, 20, Direction.Backward);
    for (const raw of res.chunk) if (raw.type === "m.room.message") events.push(user.client.getEventMapper()(raw));
    if (!res.end || res.chunk.length === 0) break;
    from = res.end;
  }
  return events.reverse().map((e) => e.getContent().body as string);
}

/** The call fails with a Matrix error of this HTTP status; returns its errcode. */
export async function expectMatrixError(call: Promise<unknown>, status: number): Promise<string> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "the call should have failed").toBeInstanceOf(MatrixError);
  expect((err as MatrixError).httpStatus).toBe(status);
  return (err as MatrixError).errcode ?? "";
}

/** `initial_state` for a join rule (and its allow list for the restricted variants). */
export function joinRuleState(joinRule: string, allowRoomIds: readonly string[] = []): { type: string; state_key: string; content: Record<string, unknown> } {
  const content: Record<string, unknown> = { join_rule: joinRule };
  if (allowRoomIds.length > 0) content.allow = allowRoomIds.map((room_id) => ({ type: "m.room_membership", room_id }));
  return { type: "m.room.join_rules", state_key: "", content };
}
