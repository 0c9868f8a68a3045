/**
 * Test helpers for the rooms engine: a real Storage in a temp dir, a real crypto pool, a
 * RoomService, and a "remote server" that builds and signs events the way another homeserver
 * would (its own key, its own server name).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sodium from "sodium-native";
import { CryptoPool } from "../../src/crypto/pool.js";
import { eventReferences, toRoomEvent } from "../../src/events/event.js";
import { computeEventId, referenceHash } from "../../src/events/hashes.js";
import type { RoomVersion } from "../../src/events/room-versions.js";
import { hashAndSignEvent } from "../../src/events/sign-event.js";
import { signingKeyFromSeed, type SigningKey } from "../../src/events/signing-json.js";
import type { JsonObject, RoomEvent } from "../../src/events/types.js";
import { authEventTypes } from "../../src/rooms/auth/auth-events-selection.js";
import { newCarriedEventId } from "../../src/rooms/local/build-event.js";
import { RoomService } from "../../src/rooms/room-service.js";
import { StateView } from "../../src/rooms/state-view.js";
import { Storage } from "../../src/storage/storage.js";
import type { NodeId } from "../../src/storage/state-node.js";

export const LOCAL = "local.test";

export function randomKey(id = "ed25519:t"): SigningKey {
  const seed = Buffer.alloc(32);
  sodium.randombytes_buf(seed);
  return signingKeyFromSeed(id, seed);
}

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

export interface RemoteEventSpec {
  type: string;
  stateKey?: string;
  sender: string;
  content: JsonObject;
  /** Default: the room's current forward extremities. */
  prevEvents?: string[];
  /** Default: auth events selected from the state at `stateRoot` (default: current state). */
  authEvents?: string[];
  stateRoot?: NodeId;
  depth?: number;
  redacts?: string;
}

/** A server other than us, building events for a room we hold. */
export class RemoteServer {
  readonly key: SigningKey;
  /** Events this server built, so later ones can reference them before we store them. */
  private readonly built = new Map<string, RoomEvent>();
  constructor(
    readonly serverName: string,
    private readonly h: Harness,
  ) {
    this.key = randomKey("ed25519:remote");
  }

  /** The key lookup the verifier would build for this server. */
  get keys() {
    return { [this.serverName]: { [this.key.keyId]: { key: this.key.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER } } };
  }

  event(roomId: string, spec: RemoteEventSpec): RoomEvent {
    const ctx = this.h.rooms.context(roomId)!;
    const version = ctx.version;
    const heads = this.h.storage.rooms.getHeads(ctx.roomNid);
    const prevIds = spec.prevEvents ?? this.h.storage.events.eventIdsOf(heads.extremities);
    const state = new StateView(this.h.storage, this.h.rooms.loader, spec.stateRoot ?? heads.stateRoot);
    const authIds =
      spec.authEvents ??
      authEventTypes({ type: spec.type, stateKey: spec.stateKey, sender: spec.sender, content: spec.content }, version)
        .map((s) => state.get(s.type, s.stateKey)?.eventId)
        .filter((id): id is string => id !== undefined);
    const depth =
      spec.depth ?? Math.max(0, ...prevIds.map((id) => this.h.storage.events.getEvent(id)?.depth ?? 0)) + 1;
    const refHash = (id: string) => {
      const pdu = this.h.storage.events.getPdu(id) ?? this.built.get(id)?.pdu;
      return pdu ? referenceHash(pdu, version) : undefined;
    };
    const content = { ...spec.content };
    const template: JsonObject = {
      room_id: roomId,
      sender: spec.sender,
      type: spec.type,
      content,
      origin_server_ts: Date.now(),
      depth,
      prev_events: eventReferences(prevIds, version, refHash) as never,
      auth_events: eventReferences(authIds, version, refHash) as never,
    };
    if (spec.stateKey !== undefined) template.state_key = spec.stateKey;
    if (spec.redacts !== undefined) {
      if (version.redactsInContent) content.redacts = spec.redacts;
      else template.redacts = spec.redacts;
    }
    if (version.eventIdFormat === "carried") template.event_id = newCarriedEventId(this.serverName);
    const pdu = hashAndSignEvent(template, version, this.serverName, this.key);
    const ev = toRoomEvent(pdu, version, computeEventId(pdu, version), roomId);
    this.built.set(ev.eventId, ev);
    return ev;
  }
}

export function versionOf(h: Harness, roomId: string): RoomVersion {
  return h.rooms.version(roomId)!;
}
