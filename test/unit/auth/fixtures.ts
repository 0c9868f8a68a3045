/**
 * Test rooms for the auth rules: plain `RoomEvent` objects (no hashes or real signatures; the
 * rules never look at them, except the presence of a server's signature for
 * `join_authorised_via_users_server`), and a mutable state map to check events against.
 */
import { domainOf } from "../../../src/events/ids.js";
import { type RoomVersion, getRoomVersion } from "../../../src/events/room-versions.js";
import type { JsonObject, Pdu, RoomEvent, Signatures } from "../../../src/events/types.js";
import { checkAuthRules } from "../../../src/rooms/auth/check-auth.js";
import type { AuthResult, AuthStateLookup } from "../../../src/rooms/auth/types.js";

export const ALL_VERSIONS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"] as const;

export function V(id: string | number): RoomVersion {
  const v = getRoomVersion(String(id));
  if (!v) throw new Error(`unknown room version ${id}`);
  return v;
}

/** Versions from `from` to `to` inclusive, as ids. */
export function versions(from: number, to = 12): string[] {
  return ALL_VERSIONS.filter((v) => Number(v) >= from && Number(v) <= to);
}

export const ALICE = "@alice:a.example";
export const BOB = "@bob:b.example";
export const CAROL = "@carol:c.example";
export const DAVE = "@dave:d.example";
export const ALICE2 = "@alice2:a.example";

let counter = 0;

export interface EventSpec {
  type: string;
  sender: string;
  stateKey?: string;
  content?: JsonObject;
  prevEvents?: string[];
  authEvents?: string[];
  roomId?: string;
  /** Leave `room_id` out of the PDU (a v12 create). */
  noRoomId?: boolean;
  eventId?: string;
  redacts?: string;
  /** Servers that signed the event; the sender's server by default. */
  signedBy?: string[];
}

/** A fresh event ID in the format of `version` (v1/v2 carry `:domain`). */
export function newEventId(version: RoomVersion, sender: string): string {
  counter++;
  return version.eventIdFormat === "carried" ? `$e${counter}:${domainOf(sender)}` : `$e${counter}AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-`;
}

export function makeEvent(version: RoomVersion, spec: EventSpec): RoomEvent {
  const eventId = spec.eventId ?? newEventId(version, spec.sender);
  const roomId = spec.roomId ?? "!room:a.example";
  const signatures: Signatures = {};
  for (const server of spec.signedBy ?? [domainOf(spec.sender) ?? ""]) signatures[server] = { "ed25519:k": "sig" };
  const content = spec.content ?? {};
  const pdu: Pdu = {
    sender: spec.sender,
    origin_server_ts: 1_700_000_000_000 + counter,
    type: spec.type,
    content,
    prev_events: spec.prevEvents ?? [],
    auth_events: spec.authEvents ?? [],
    depth: 1,
    hashes: { sha256: "" },
    signatures,
  };
  if (!spec.noRoomId) pdu.room_id = roomId;
  if (spec.stateKey !== undefined) pdu.state_key = spec.stateKey;
  if (spec.redacts !== undefined) {
    if (version.redactsInContent) content["redacts"] = spec.redacts;
    else pdu.redacts = spec.redacts;
  }
  if (version.eventIdFormat === "carried") pdu.event_id = eventId;
  return {
    eventId,
    roomId,
    type: spec.type,
    stateKey: spec.stateKey,
    sender: spec.sender,
    content,
    prevEvents: spec.prevEvents ?? [],
    authEvents: spec.authEvents ?? [],
    depth: 1,
    originServerTs: pdu.origin_server_ts,
    redacts: spec.redacts,
    pdu,
  };
}

/** The create event of a room in `version`, created by `creator`. */
export function makeCreate(version: RoomVersion, creator = ALICE, extraContent: JsonObject = {}): RoomEvent {
  const content: JsonObject = { room_version: version.id, ...extraContent };
  if (version.createHasCreator && !("creator" in extraContent)) content["creator"] = creator;
  if (version.roomIdFromCreateEvent) {
    const eventId = newEventId(version, creator);
    return makeEvent(version, { type: "m.room.create", stateKey: "", sender: creator, content, eventId, roomId: `!${eventId.slice(1)}`, noRoomId: true });
  }
  return makeEvent(version, { type: "m.room.create", stateKey: "", sender: creator, content, roomId: `!room:${domainOf(creator)}` });
}

export interface RoomOptions {
  creator?: string;
  createContent?: JsonObject;
  /** Power levels content; `null` for no power-levels event. Default: creator 100 (not in v12). */
  powerLevels?: JsonObject | null;
  /** Join rule; `null` for no join-rules event. Default `public`. */
  joinRule?: string | null;
  /** Users (besides the creator) joined from the start. */
  joined?: string[];
}

/** A room and its current state; events built with `event()` are in this room. */
export class TestRoom {
  readonly version: RoomVersion;
  readonly create: RoomEvent;
  readonly creator: string;
  private readonly state = new Map<string, RoomEvent>();

  constructor(versionId: string | number, opts: RoomOptions = {}) {
    this.version = V(versionId);
    this.creator = opts.creator ?? ALICE;
    this.create = makeCreate(this.version, this.creator, opts.createContent);
    this.put(this.create);
    this.member(this.creator, "join");
    if (opts.powerLevels !== null) {
      this.powerLevels(opts.powerLevels ?? (this.version.creatorsHaveInfinitePower ? {} : { users: { [this.creator]: 100 } }));
    }
    if (opts.joinRule !== null) this.joinRules(opts.joinRule ?? "public");
    for (const u of opts.joined ?? []) this.member(u, "join");
  }

  get roomId(): string {
    return this.create.roomId;
  }

  event(spec: EventSpec): RoomEvent {
    return makeEvent(this.version, { roomId: this.roomId, ...spec });
  }

  put(ev: RoomEvent): this {
    if (ev.stateKey === undefined) throw new Error("not a state event");
    this.state.set(`${ev.type}\u0000${ev.stateKey}`, ev);
    return this;
  }

  remove(type: string, stateKey = ""): this {
    this.state.delete(`${type}\u0000${stateKey}`);
    return this;
  }

  /** Sets `user`'s membership (sent by `sender`, default the user). */
  member(user: string, membership: string, sender = user, extra: JsonObject = {}): RoomEvent {
    const ev = this.event({ type: "m.room.member", stateKey: user, sender, content: { membership, ...extra } });
    this.put(ev);
    return ev;
  }

  powerLevels(content: JsonObject, sender = this.creator): RoomEvent {
    const ev = this.event({ type: "m.room.power_levels", stateKey: "", sender, content });
    this.put(ev);
    return ev;
  }

  joinRules(rule: string, extra: JsonObject = {}): RoomEvent {
    const ev = this.event({ type: "m.room.join_rules", stateKey: "", sender: this.creator, content: { join_rule: rule, ...extra } });
    this.put(ev);
    return ev;
  }

  /** A frozen copy of the current state. */
  lookup(): AuthStateLookup {
    const snapshot = new Map(this.state);
    return { get: (type, stateKey) => snapshot.get(`${type}\u0000${stateKey}`) };
  }

  check(ev: RoomEvent): AuthResult {
    return checkAuthRules(ev, this.lookup(), this.version);
  }

  /** Shorthand: check a member event `sender` → `target` with `membership`. */
  checkMember(sender: string, target: string, membership: string, extra: JsonObject = {}, signedBy?: string[]): AuthResult {
    const spec: EventSpec = { type: "m.room.member", stateKey: target, sender, content: { membership, ...extra } };
    if (signedBy) spec.signedBy = signedBy;
    return this.check(this.event(spec));
  }

  message(sender: string, type = "m.room.message"): RoomEvent {
    return this.event({ type, sender, content: { body: "hi" } });
  }
}

/** Helpers for asserting on an AuthResult with its reason in the failure message. */
export function reasonOf(r: AuthResult): string | undefined {
  return r.allowed ? undefined : r.reason;
}

/** The `users` entries that make the creator an admin: `{creator: 100}`, or none in v12 (infinite already). */
export function creatorUsers(room: TestRoom): JsonObject {
  return room.version.creatorsHaveInfinitePower ? {} : { [room.creator]: 100 };
}
