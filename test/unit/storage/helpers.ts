/** Shared fixtures for the storage tests: temp stores, a seeded PRNG, minimal room events. */
import { join } from "node:path";
import type { Pdu, RoomEvent } from "../../../src/events/types.js";
import { Storage, type StorageOptions } from "../../../src/storage/storage.js";
import { tempDir, type TempDir } from "../../helpers/temp.js";

export interface TempStorage {
  readonly dir: TempDir;
  open(name?: string, opts?: StorageOptions): Storage;
  /** Closes every storage opened here and removes the directory. */
  cleanup(): Promise<void>;
}

export function tempStorage(): TempStorage {
  const dir = tempDir("conflux-storage-");
  const opened: Storage[] = [];
  return {
    dir,
    open(name = "db", opts = {}) {
      const s = Storage.open(join(dir.path, name), opts);
      opened.push(s);
      return s;
    },
    async cleanup() {
      for (const s of opened) await s.close();
      dir.cleanup();
    },
  };
}

/** Seeded PRNG (mulberry32), shared with the state-res tests. */
export { rng as prng } from "../state-res/fixtures.js";

export interface EventSpec {
  eventId: string;
  roomId: string;
  type: string;
  stateKey?: string;
  sender?: string;
  content?: Record<string, unknown>;
  prevEvents?: string[];
  authEvents?: string[];
  depth?: number;
  redacts?: string;
}

/** A RoomEvent with a plausible v11-shaped PDU; storage never checks hashes or signatures. */
export function roomEvent(spec: EventSpec): RoomEvent {
  const sender = spec.sender ?? "@alice:a.example";
  const pdu: Pdu = {
    room_id: spec.roomId,
    sender,
    origin_server_ts: 1_700_000_000_000,
    type: spec.type,
    content: (spec.content ?? {}) as Pdu["content"],
    prev_events: spec.prevEvents ?? [],
    auth_events: spec.authEvents ?? [],
    depth: spec.depth ?? 1,
    hashes: { sha256: "aGFzaA" },
    signatures: { "a.example": { "ed25519:k": "c2ln" } },
  };
  if (spec.stateKey !== undefined) pdu.state_key = spec.stateKey;
  return {
    eventId: spec.eventId,
    roomId: spec.roomId,
    type: spec.type,
    stateKey: spec.stateKey,
    sender,
    content: pdu.content,
    prevEvents: spec.prevEvents ?? [],
    authEvents: spec.authEvents ?? [],
    depth: spec.depth ?? 1,
    originServerTs: pdu.origin_server_ts,
    redacts: spec.redacts,
    pdu,
  };
}
