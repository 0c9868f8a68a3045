/**
 * Rooms for the bench: a real Storage + CryptoPool + RoomService in a temp dir, a local
 * creator, and a remote server whose users join through the receipt pipeline (the same path a
 * /send takes after signature checks), so member counts of 1k–100k are real rooms.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CryptoPool } from "../../src/crypto/pool.js";
import { getRoomVersion, type RoomVersion } from "../../src/events/room-versions.js";
import type { RoomEvent } from "../../src/events/types.js";
import type { LocalEventSpec } from "../../src/rooms/local/build-event.js";
import { RoomService } from "../../src/rooms/room-service.js";
import type { SigningKey } from "../../src/events/signing-json.js";
import { Storage } from "../../src/storage/storage.js";
import { randomKey, RemoteEventBuilder } from "./remote-events.js";

export const LOCAL_SERVER = "bench.local";
export const REMOTE_SERVER = "remote.bench";
export const CREATOR = `@alice:${LOCAL_SERVER}`;

export interface BenchRooms {
  dir: string;
  storage: Storage;
  pool: CryptoPool;
  rooms: RoomService;
  remote: RemoteEventBuilder;
  /** The local user who creates rooms (PL 100, or a v12 creator). */
  creator: string;
  /** The i-th remote member's user ID (on `remote.serverName`). */
  memberId(i: number): string;
  close(): Promise<void>;
}

export interface BenchRoomsOptions {
  /** Crypto pool threads (local events are signed there). Default 1. */
  poolSize?: number;
  /** Database directory; default a new temp dir, removed on close. */
  dbDir?: string;
  /** The local server's name and key (a Conflux data dir's, when building rooms for a server process). */
  serverName?: string;
  key?: SigningKey;
  /** The remote server whose users join; default `remote.bench` with a random key. */
  remoteName?: string;
  remoteKey?: SigningKey;
}

/**
 * Rooms in a Storage of their own. With `dbDir` the database is kept on close, so a Conflux
 * process started on that data dir (same server name and signing key) serves the rooms.
 */
export function openBenchRooms(poolSizeOrOptions: number | BenchRoomsOptions = 1): BenchRooms {
  const o: BenchRoomsOptions = typeof poolSizeOrOptions === "number" ? { poolSize: poolSizeOrOptions } : poolSizeOrOptions;
  const ownDir = o.dbDir === undefined;
  const dir = o.dbDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "conflux-bench-rooms-"));
  const serverName = o.serverName ?? LOCAL_SERVER;
  const storage = Storage.open(dir);
  const pool = new CryptoPool({ size: o.poolSize ?? 1, identity: { serverName, key: o.key ?? randomKey("ed25519:bench") } });
  const rooms = new RoomService({ storage, pool, serverName });
  const remote = new RemoteEventBuilder(o.remoteName ?? REMOTE_SERVER, rooms, o.remoteKey);
  return {
    dir,
    storage,
    pool,
    rooms,
    remote,
    creator: `@alice:${serverName}`,
    memberId: (i) => `@u${i}:${remote.serverName}`,
    async close() {
      await rooms.drain();
      rooms.close();
      await pool.close();
      await storage.close();
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A public room created locally, with the creator at PL 100 (v12: creator implicitly). */
export async function createPublicRoom(b: BenchRooms, versionId = "12"): Promise<string> {
  const version: RoomVersion = getRoomVersion(versionId)!;
  const users: Record<string, number> = version.creatorsHaveInfinitePower ? {} : { [b.creator]: 100 };
  const { roomId } = await b.rooms.createRoom({
    version,
    creator: b.creator,
    createContent: {},
    initialEvents: (): LocalEventSpec[] => [
      { type: "m.room.member", stateKey: b.creator, sender: b.creator, content: { membership: "join" } },
      { type: "m.room.power_levels", stateKey: "", sender: b.creator, content: { users, state_default: 50, events_default: 0 } },
      { type: "m.room.join_rules", stateKey: "", sender: b.creator, content: { join_rule: "public" } },
    ],
  });
  return roomId;
}

/** The i-th member of a default `openBenchRooms()` (b.memberId for others). */
export function remoteUser(i: number): string {
  return `@u${i}:${REMOTE_SERVER}`;
}

/**
 * Build a chain of remote events (each the previous one's child) without storing them, so they
 * can be fed to the actor in batches.
 */
export function buildChain(b: BenchRooms, roomId: string, n: number, make: (i: number) => { type: string; stateKey?: string; sender: string; content: Record<string, unknown> }): RoomEvent[] {
  const heads = b.storage.rooms.getHeads(b.rooms.context(roomId)!.roomNid);
  let prev = b.storage.events.eventIdsOf(heads.extremities);
  const out: RoomEvent[] = [];
  for (let i = 0; i < n; i++) {
    const spec = make(i);
    const ev = b.remote.event(roomId, { ...spec, content: spec.content as never, prevEvents: prev });
    out.push(ev);
    prev = [ev.eventId];
  }
  return out;
}

/** Feed events to the room's actor in batches (the /send path after checks 1–3). */
export async function receiveAll(b: BenchRooms, roomId: string, events: readonly RoomEvent[], batch = 50): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < events.length; i += batch) {
    const outcomes = await b.rooms.actor(roomId).receive(events.slice(i, i + batch).map((event) => ({ event })));
    for (const o of outcomes) if (o.status === "accepted") accepted++;
  }
  return accepted;
}

/** Join `count` remote users to the room. */
export async function addMembers(b: BenchRooms, roomId: string, count: number, onProgress?: (done: number) => void): Promise<void> {
  const chunk = 2000;
  for (let from = 0; from < count; from += chunk) {
    const n = Math.min(chunk, count - from);
    const joins = buildChain(b, roomId, n, (i) => ({
      type: "m.room.member",
      stateKey: b.memberId(from + i),
      sender: b.memberId(from + i),
      content: { membership: "join" },
    }));
    const ok = await receiveAll(b, roomId, joins);
    if (ok !== n) throw new Error(`only ${ok} of ${n} joins accepted`);
    onProgress?.(from + n);
  }
}

/** Sum of every sub-database's pages in bytes. */
export function storageBytes(b: BenchRooms): { total: number; stateNodes: number } {
  const s = b.storage.store.stats();
  let total = 0;
  for (const d of Object.values(s.dbs)) total += d.bytes;
  return { total, stateNodes: s.dbs.stateNodes.bytes };
}
