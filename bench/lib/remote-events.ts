/**
 * Events as another homeserver would build them for a room this process holds: its own server
 * name and key, prev/auth events from the room's current heads (or given), v1/v2 references
 * with reference hashes. Used by the bench to fill rooms and by tests to play remote servers.
 */
import sodium from "sodium-native";
import { eventReferences, toRoomEvent } from "../../src/events/event.js";
import { computeEventId, referenceHash } from "../../src/events/hashes.js";
import { hashAndSignEvent } from "../../src/events/sign-event.js";
import { signingKeyFromSeed, type SigningKey } from "../../src/events/signing-json.js";
import type { JsonObject, RoomEvent } from "../../src/events/types.js";
import { authEventTypes } from "../../src/rooms/auth/auth-events-selection.js";
import { newCarriedEventId } from "../../src/rooms/local/build-event.js";
import type { RoomService } from "../../src/rooms/room-service.js";
import { StateView } from "../../src/rooms/state-view.js";
import type { NodeId } from "../../src/storage/state-node.js";

export function randomKey(id = "ed25519:t"): SigningKey {
  const seed = Buffer.alloc(32);
  sodium.randombytes_buf(seed);
  return signingKeyFromSeed(id, seed);
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
  originServerTs?: number;
}

export class RemoteEventBuilder {
  readonly key: SigningKey;
  /** Events this server built, so later ones can reference them before they are stored. */
  private readonly built = new Map<string, RoomEvent>();

  constructor(
    readonly serverName: string,
    private readonly rooms: RoomService,
    key?: SigningKey,
  ) {
    this.key = key ?? randomKey("ed25519:remote");
  }

  /** The key lookup a verifier would use for this server. */
  get keys() {
    return { [this.serverName]: { [this.key.keyId]: { key: this.key.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER } } };
  }

  event(roomId: string, spec: RemoteEventSpec): RoomEvent {
    const ctx = this.rooms.context(roomId);
    if (!ctx) throw new Error(`unknown room ${roomId}`);
    const { storage, version } = ctx;
    const heads = storage.rooms.getHeads(ctx.roomNid);
    const prevIds = spec.prevEvents ?? storage.events.eventIdsOf(heads.extremities);
    const state = new StateView(storage, this.rooms.loader, spec.stateRoot ?? heads.stateRoot);
    const authIds =
      spec.authEvents ??
      authEventTypes({ type: spec.type, stateKey: spec.stateKey, sender: spec.sender, content: spec.content }, version)
        .map((s) => state.get(s.type, s.stateKey)?.eventId)
        .filter((id): id is string => id !== undefined);
    const depth =
      spec.depth ?? Math.max(0, ...prevIds.map((id) => storage.events.getEvent(id)?.depth ?? this.built.get(id)?.depth ?? 0)) + 1;
    const refHash = (id: string) => {
      const pdu = storage.events.getPdu(id) ?? this.built.get(id)?.pdu;
      return pdu ? referenceHash(pdu, version) : undefined;
    };
    const content = { ...spec.content };
    const template: JsonObject = {
      room_id: roomId,
      sender: spec.sender,
      type: spec.type,
      content,
      origin_server_ts: spec.originServerTs ?? Date.now(),
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
