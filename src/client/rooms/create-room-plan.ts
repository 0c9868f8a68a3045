/**
 * What `POST /createRoom` puts in a new room (create_room.yaml), as a pure plan: the create
 * content and the initial events in the order the spec requires —
 *
 *   1. m.room.create (creation_content; `creator`/`room_version` overwritten by the server)
 *   2. the creator's join (with their profile)
 *   3. m.room.power_levels: the default below with power_level_content_override on top
 *      (skipped when initial_state carries power levels: initial_state "takes precedence")
 *   4. m.room.canonical_alias, if room_alias_name
 *   5. the preset's join_rules, history_visibility, guest_access (each skipped when
 *      initial_state sets the same slot)
 *   6. initial_state, in order (one event per slot: first position, last content; name and
 *      topic slots dropped when `name`/`topic` are given, which "overwrite" them)
 *   7. m.room.name, m.room.topic
 *   8. invites (local invitees here; remote ones need the federation invite handshake and are
 *      sent by the caller after the room exists, in the same order)
 *
 * and `simulateAuth`, which runs the authorization rules over that sequence in memory so that
 * an impossible request ("the user's power_level is set below that necessary to set the room
 * name") is refused with M_INVALID_ROOM_STATE before anything is stored.
 *
 * Default power levels: the creator at 100 in v1–v11 (v12 creators are "not specified in the
 * power levels event"); `trusted_private_chat` gives invitees the creator's level (v1–v11:
 * 100 in `users`; v12: they join `additional_creators`, "deduplicating"); v12 rooms get
 * `m.room.tombstone` explicitly above `state_default` (150 with the default 50). Private
 * presets let members invite (invite 0), like other homeservers do; public rooms keep 50.
 */
import { Errors } from "../../errors.js";
import { toRoomEvent } from "../../events/event.js";
import { domainOf } from "../../events/ids.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { JsonObject, JsonValue, Pdu, RoomEvent } from "../../events/types.js";
import { checkAuthRules } from "../../rooms/auth/check-auth.js";
import { hasAdditionalCreators } from "../../rooms/auth/room-creators.js";
import { stateFromEvents } from "../../rooms/auth/types.js";
import type { LocalEventSpec } from "../../rooms/local/build-event.js";
import { isJsonObject } from "../../json.js";

export type Preset = "private_chat" | "trusted_private_chat" | "public_chat";

export interface InitialStateEvent {
  readonly type: string;
  readonly stateKey: string;
  readonly content: JsonObject;
}

/** The parsed request (create-room.ts validates the body into this). */
export interface CreateRoomRequest {
  readonly visibility: "public" | "private";
  readonly preset: Preset;
  readonly version: RoomVersion;
  readonly aliasLocalpart: string | undefined;
  readonly name: string | undefined;
  readonly topic: string | undefined;
  readonly invite: readonly string[];
  readonly isDirect: boolean;
  readonly creationContent: JsonObject;
  readonly initialState: readonly InitialStateEvent[];
  readonly powerLevelOverride: JsonObject | undefined;
}

export interface RoomPlan {
  readonly createContent: JsonObject;
  /** Events 2–8 (local invitees only). */
  readonly events: readonly LocalEventSpec[];
  /** Invitees on other servers, for the invite handshake after creation. */
  readonly remoteInvites: readonly string[];
  /** The full alias, when `room_alias_name` was given. */
  readonly alias: string | undefined;
}

const PRESETS: Record<Preset, { joinRule: string; historyVisibility: string; guestAccess: string }> = {
  private_chat: { joinRule: "invite", historyVisibility: "shared", guestAccess: "can_join" },
  trusted_private_chat: { joinRule: "invite", historyVisibility: "shared", guestAccess: "can_join" },
  public_chat: { joinRule: "public", historyVisibility: "shared", guestAccess: "forbidden" },
};

const SLOT = (type: string, key: string) => `${type}\u0000${key}`;

export function planRoom(req: CreateRoomRequest, creator: string, serverName: string, profile: JsonObject): RoomPlan {
  const { version } = req;
  const trusted = req.preset === "trusted_private_chat";
  const invitees = req.invite.filter((u) => u !== creator);

  // 1. create content
  const createContent: JsonObject = { ...req.creationContent };
  delete createContent.room_version;
  if (version.createHasCreator) createContent.creator = creator;
  else delete createContent.creator;
  if (trusted && hasAdditionalCreators(version) && invitees.length > 0) {
    const given = createContent.additional_creators;
    const list: JsonValue[] = Array.isArray(given) ? [...given] : given === undefined ? [] : [given];
    for (const u of invitees) if (!list.includes(u)) list.push(u);
    createContent.additional_creators = list;
  }

  // initial_state, one entry per slot: first position, last content.
  const initial = new Map<string, InitialStateEvent>();
  for (const ev of req.initialState) {
    const slot = SLOT(ev.type, ev.stateKey);
    const prev = initial.get(slot);
    initial.set(slot, prev ? { ...prev, content: ev.content } : ev);
  }
  if (req.name !== undefined) initial.delete(SLOT("m.room.name", ""));
  if (req.topic !== undefined) initial.delete(SLOT("m.room.topic", ""));

  const events: LocalEventSpec[] = [];
  const state = (type: string, content: JsonObject, stateKey = ""): void => {
    events.push({ type, stateKey, sender: creator, content });
  };

  // 2. the creator joins
  events.push({ type: "m.room.member", stateKey: creator, sender: creator, content: { ...profile, membership: "join" } });

  // 3. power levels
  if (!initial.has(SLOT("m.room.power_levels", ""))) {
    state("m.room.power_levels", powerLevels(req, creator, invitees));
  }

  // 4. canonical alias
  const alias = req.aliasLocalpart === undefined ? undefined : `#${req.aliasLocalpart}:${serverName}`;
  if (alias !== undefined) state("m.room.canonical_alias", { alias });

  // 5. preset
  const preset = PRESETS[req.preset];
  const presetEvents: [string, JsonObject][] = [
    ["m.room.join_rules", { join_rule: preset.joinRule }],
    ["m.room.history_visibility", { history_visibility: preset.historyVisibility }],
    ["m.room.guest_access", { guest_access: preset.guestAccess }],
  ];
  for (const [type, content] of presetEvents) if (!initial.has(SLOT(type, ""))) state(type, content);

  // 6. initial_state
  for (const ev of initial.values()) state(ev.type, ev.content, ev.stateKey);

  // 7. name, topic
  if (req.name !== undefined) state("m.room.name", { name: req.name });
  if (req.topic !== undefined) {
    state("m.room.topic", { topic: req.topic, "m.topic": { "m.text": [{ body: req.topic, mimetype: "text/plain" }] } });
  }

  // 8. invites
  const remoteInvites: string[] = [];
  for (const invitee of invitees) {
    if (domainOf(invitee) !== serverName) {
      remoteInvites.push(invitee);
      continue;
    }
    events.push({ type: "m.room.member", stateKey: invitee, sender: creator, content: inviteContent(req.isDirect) });
  }
  return { createContent, events, remoteInvites, alias };
}

/** Member content of the invites createRoom sends (`is_direct` when asked for). */
export function inviteContent(isDirect: boolean): JsonObject {
  return isDirect ? { membership: "invite", is_direct: true } : { membership: "invite" };
}

function powerLevels(req: CreateRoomRequest, creator: string, invitees: readonly string[]): JsonObject {
  const { version } = req;
  const v12 = version.creatorsHaveInfinitePower;
  const users: JsonObject = {};
  if (!v12) {
    users[creator] = 100;
    if (req.preset === "trusted_private_chat") for (const u of invitees) users[u] = 100;
  }
  const content: JsonObject = {
    users,
    users_default: 0,
    events: {
      "m.room.name": 50,
      "m.room.power_levels": 100,
      "m.room.history_visibility": 100,
      "m.room.canonical_alias": 50,
      "m.room.avatar": 50,
      "m.room.tombstone": 100,
      "m.room.server_acl": 100,
      "m.room.encryption": 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: req.preset === "public_chat" ? 50 : 0,
    notifications: { room: 50 },
  };
  const merged: JsonObject = { ...content, ...(req.powerLevelOverride ?? {}) };
  // create_room.yaml: v12+ "the power level for sending m.room.tombstone events MUST explicitly
  // be higher than state_default" — unless the override names the tombstone level itself.
  const overriddenEvents = req.powerLevelOverride?.events;
  const overridesTombstone = isJsonObject(overriddenEvents) && "m.room.tombstone" in overriddenEvents;
  if (v12 && !overridesTombstone) {
    const events = merged.events;
    const stateDefault = typeof merged.state_default === "number" ? merged.state_default : 50;
    if (isJsonObject(events)) {
      merged.events = { ...events, "m.room.tombstone": Math.max(150, stateDefault + 1) };
    }
  }
  return merged;
}

/**
 * Run the authorization rules over the planned sequence (create, then every event in order,
 * the remote invites last), each against the state the previous ones built. Throws
 * 400 M_INVALID_ROOM_STATE naming the first event the rules would refuse.
 */
export function simulateAuth(version: RoomVersion, creator: string, serverName: string, plan: RoomPlan): void {
  const roomId = version.roomIdFromCreateEvent ? "!simulated-create" : `!simulated:${serverName}`;
  const applied: RoomEvent[] = [];
  let depth = 0;
  let prevId: string | undefined;
  const draft = (spec: LocalEventSpec): RoomEvent => {
    depth++;
    const eventId = depth === 1 && version.roomIdFromCreateEvent ? "$simulated-create" : `$simulated-${depth}`;
    const prevEvents = prevId === undefined ? [] : [prevId];
    prevId = eventId;
    const pdu = {
      type: spec.type,
      sender: spec.sender,
      content: spec.content,
      origin_server_ts: 0,
      depth,
      prev_events: prevEvents,
      auth_events: [],
      hashes: { sha256: "" },
      signatures: {},
      ...(spec.stateKey !== undefined ? { state_key: spec.stateKey } : {}),
      ...(depth === 1 && version.roomIdFromCreateEvent ? {} : { room_id: roomId }),
    } as Pdu;
    return toRoomEvent(pdu, version, eventId, roomId);
  };
  const specs: LocalEventSpec[] = [
    { type: "m.room.create", stateKey: "", sender: creator, content: { ...plan.createContent, room_version: version.id } },
    ...plan.events,
    ...plan.remoteInvites.map((u) => ({ type: "m.room.member", stateKey: u, sender: creator, content: { membership: "invite" } })),
  ];
  for (const spec of specs) {
    const ev = draft(spec);
    const verdict = checkAuthRules(ev, stateFromEvents(applied), version);
    if (!verdict.allowed) {
      const slot = spec.stateKey ? ` (${spec.stateKey})` : "";
      throw Errors.invalidRoomState(`The room's initial state is not allowed: ${spec.type}${slot}: ${verdict.reason}`);
    }
    applied.push(ev);
  }
}
