/**
 * Test helpers for the rooms engine: a real Storage in a temp dir, a real crypto pool, a
 * RoomService, and a "remote server" that builds and signs events the way another homeserver
 * would (its own key, its own server name).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CryptoPool } from "../../src/crypto/pool.js";
import type { RoomVersion } from "../../src/events/room-versions.js";
import type { SigningKey } from "../../src/events/signing-json.js";
import { RoomService } from "../../src/rooms/room-service.js";
import { Storage } from "../../src/storage/storage.js";
import { randomKey, RemoteEventBuilder } from "../../bench/lib/remote-events.js";

export { randomKey };

export const LOCAL = "local.test";


export interface Harness {
  dir: string;
  storage: Storage;
  pool: CryptoPool;
  rooms: RoomService;
  key: SigningKey;
  close(): Promise<void>;
}

export function harness(serverName = LOCAL): Harness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "conflux-rooms-"));
  const storage = Storage.open(dir);
  const key = randomKey("ed25519:local");
  const pool = new CryptoPool({ size: 1, identity: { serverName, key } });
  const rooms = new RoomService({ storage, pool, serverName });
  return {
    dir,
    storage,
    pool,
    rooms,
    key,
    async close() {
      rooms.close();
      await pool.close();
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A server other than us, building events for a room we hold (see bench/lib/remote-events.ts). */
export class RemoteServer extends RemoteEventBuilder {
  constructor(serverName: string, h: Harness) {
    super(serverName, h.rooms);
  }
}

export function versionOf(h: Harness, roomId: string): RoomVersion {
  return h.rooms.version(roomId)!;
}
