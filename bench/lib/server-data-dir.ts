/**
 * A Conflux data directory with a big room in it, built in-process (the rooms engine writing
 * straight into the database, as `rooms` does) so a 100k-member room takes a minute rather
 * than 100k HTTP joins. A server process started on the directory (same server name; the
 * signing key is created here, where the server looks for it) serves the room as its own.
 */
import fs from "node:fs";
import path from "node:path";
import { loadOrCreateSigningKey } from "../../src/crypto/signing-keys.js";
import type { SigningKey } from "../../src/events/signing-json.js";
import { addMembers, createPublicRoom, openBenchRooms } from "./room-fixture.js";

/** Where `startServer` looks inside `data_dir` by default (src/config.ts, src/server.ts). */
const SIGNING_KEY_FILE = "signing.key";
const DATABASE_DIR = "db";

export interface ServerRoomOptions {
  dataDir: string;
  /** The server name the process will run as (`127.0.0.1:<federation port>`). */
  serverName: string;
  /** The remote server whose users fill the room, and its key. */
  remoteName: string;
  remoteKey: SigningKey;
  members: number;
  poolSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** A public v12 room created by `@alice:<serverName>` with `members` remote members joined. */
export async function buildServerRoom(o: ServerRoomOptions): Promise<{ roomId: string; creator: string; seconds: number }> {
  const started = Date.now();
  fs.mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const { key } = loadOrCreateSigningKey(path.join(o.dataDir, SIGNING_KEY_FILE));
  const b = openBenchRooms({
    poolSize: o.poolSize ?? 1,
    dbDir: path.join(o.dataDir, DATABASE_DIR),
    serverName: o.serverName,
    key,
    remoteName: o.remoteName,
    remoteKey: o.remoteKey,
  });
  try {
    const roomId = await createPublicRoom(b);
    await addMembers(b, roomId, o.members, (d) => o.onProgress?.(d, o.members));
    return { roomId, creator: b.creator, seconds: (Date.now() - started) / 1000 };
  } finally {
    await b.close();
  }
}
