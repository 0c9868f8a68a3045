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
  close(): Promise<void>;
}

export function openBenchRooms(poolSize = 1): BenchRooms {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "conflux-bench-rooms-"));
  const storage = Storage.open(dir);
  const pool = new CryptoPool({ size: poolSize, identity: { serverName: LOCAL_SERVER, key: randomKey("ed25519:bench") } });
  const rooms = new RoomService({ storage, pool, serverName: LOCAL_SERVER });
  const remote = new RemoteEventBuilder(REMOTE_SERVER, rooms);
  return {
    dir,
    storage,
    pool,
    rooms,
    remote,
    async close() {
      rooms.close();
      await pool.close();
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A public room created locally, with the creator at PL 100 (v12: creator implicitly). */
export async function createPublicRoom(b: BenchRooms, versionId = "12"): Promise<string> {
  const version: RoomVersion = getRoomVersion(versionId)!;
  const users: Record<string, number> = version.creatorsHaveInfinitePower ? {} : { [CREATOR]: 100 };
  const { roomId } = await b.rooms.createRoom({
    version,
    creator: CREATOR,
    createContent: {},
    initialEvents: (): LocalEventSpec[] => [
      { type: "m.room.member", stateKey: CREATOR, sender: CREATOR, content: { membership: "join" } },
      { type: "m.room.power_levels", stateKey: "", sender: CREATOR, content: { users, state_default: 50, events_default: 0 } },
      { type: "m.room.join_rules", stateKey: "", sender: CREATOR, content: { join_rule: "public" } },
    ],
  });
  return roomId;
}

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
      stateKey: remoteUser(from + i),
      sender: remoteUser(from + i),
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
