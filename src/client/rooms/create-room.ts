/**
 * `POST /createRoom` (create_room.yaml; client-server-api "Creation"): parse → plan the initial
 * events (create-room-plan.ts) → check the whole sequence against the auth rules in memory →
 * create the room through the rooms engine → alias, directory visibility, remote invites.
 *
 * Errors (create_room.yaml "400"/"403"):
 * - malformed body → M_BAD_JSON / M_NOT_JSON; bad identifiers → M_INVALID_PARAM;
 * - alias taken → M_ROOM_IN_USE (checked before anything is created, and again when the alias
 *   is stored: a racing request that took it meanwhile still gets M_ROOM_IN_USE);
 * - initial state the rules refuse (e.g. a power_level_content_override that takes away the
 *   power to send the following events) → M_INVALID_ROOM_STATE, nothing stored;
 * - unknown room_version → M_UNSUPPORTED_ROOM_VERSION; a remote invitee's server that does not
 *   support it (M_INCOMPATIBLE_ROOM_VERSION) → M_UNSUPPORTED_ROOM_VERSION too;
 * - a local invitee who blocks invites → 403 M_INVITE_BLOCKED (1.18); remote refusals pass
 *   through (src/outbound/membership/remote-errors.ts).
 * Invites to other servers run after the room exists (they need the invite handshake); if one
 * fails the request fails with its error, and the room stays as created.
 */
import type { App } from "../../app.js";
import { accountsOf } from "../../accounts/of-app.js";
import { AliasStore } from "../../directory/alias-store.js";
import { setRoomDirectoryVisibility } from "../../directory/published-rooms.js";
import { Errors, MatrixError } from "../../errors.js";
import { CanonicalJsonError, canonicalJsonSize } from "../../events/canonical-json.js";
import { domainOf, isValidRoomAlias, isValidUserId } from "../../events/ids.js";
import { MAX_PDU_BYTES } from "../../events/pdu-format.js";
import { getRoomVersion } from "../../events/room-versions.js";
import type { JsonObject } from "../../events/types.js";
import type { HttpRequest, JsonResponse } from "../../http/request.js";
import { json } from "../../http/request.js";
import { logger } from "../../log.js";
import { inviteRemoteUser } from "../../outbound/membership/index.js";
import { invitePermissions } from "../../rooms/membership/invite-permission.js";
import { requireClient } from "../auth/authenticator.js";
import { inviteContent, planRoom, simulateAuth, type CreateRoomRequest, type InitialStateEvent, type Preset } from "./create-room-plan.js";
import { withoutMembership } from "./membership-actions.js";
import { bodyObject } from "./params.js";
import { isJsonObject } from "../../json.js";

const log = logger("client.createRoom");

/** Room for the event envelope (IDs, prev/auth events, hashes, signatures) around the content. */
const ENVELOPE_RESERVE = 4096;

const PRESETS: readonly Preset[] = ["private_chat", "trusted_private_chat", "public_chat"];

export function createRoomHandler(app: App) {
  const aliases = new AliasStore(app.storage);
  return async (req: HttpRequest): Promise<JsonResponse> => {
    const auth = requireClient(req);
    const request = parseCreateRoom(bodyObject(req.body), app.config.room.default_version);
    const creator = auth.userId;

    const plan = planRoom(request, creator, app.serverName, { ...accountsOf(app).profiles.memberFields(creator) });
    if (plan.alias !== undefined) {
      if (!isValidRoomAlias(plan.alias)) throw Errors.invalidParam("room_alias_name does not make a valid room alias");
      if (aliases.get(plan.alias) !== undefined) throw Errors.roomInUse(`Room alias ${plan.alias} already taken`);
    }
    for (const invitee of request.invite) {
      if (domainOf(invitee) === app.serverName && invitePermissions(app.storage).isBlocked(invitee)) throw Errors.inviteBlocked();
    }
    for (const spec of plan.events) checkContentSize(spec.content, request.version.strictCanonicalJson);
    checkContentSize(plan.createContent, request.version.strictCanonicalJson);
    simulateAuth(request.version, creator, app.serverName, plan);

    let roomId: string;
    try {
      ({ roomId } = await app.rooms.createRoom({
        version: request.version,
        creator,
        createContent: plan.createContent,
        initialEvents: () => [...plan.events],
      }));
    } catch (err) {
      // The simulation makes this rare; an event refused on the real state is still the request's fault.
      if (err instanceof MatrixError && err.errcode === "M_FORBIDDEN") throw Errors.invalidRoomState(err.message);
      throw err;
    }
    log.info({ room_id: roomId, user_id: creator, room_version: request.version.id }, "room created");

    if (plan.alias !== undefined && !(await aliases.create(plan.alias, roomId, creator))) {
      throw Errors.roomInUse(`Room alias ${plan.alias} was taken while the room was being created`);
    }
    if (request.visibility === "public") await setRoomDirectoryVisibility(app.storage, roomId, "public");

    for (const invitee of plan.remoteInvites) {
      try {
        await inviteRemoteUser(app, { roomId, sender: creator, invitee, content: withoutMembership(inviteContent(request.isDirect)) });
      } catch (err) {
        if (err instanceof MatrixError && err.errcode === "M_INCOMPATIBLE_ROOM_VERSION") {
          throw Errors.unsupportedRoomVersion(`${invitee}'s server does not support room version ${request.version.id}`);
        }
        throw err;
      }
    }
    return json({ room_id: roomId });
  };
}

/** Content that cannot fit a 64 KiB event, or cannot be canonical JSON for the version (floats). */
function checkContentSize(content: JsonObject, strict: boolean): void {
  let size: number;
  try {
    size = canonicalJsonSize(content, strict);
  } catch (err) {
    if (err instanceof CanonicalJsonError) throw Errors.badJson(`Event content cannot be encoded for this room version: ${err.message}`);
    throw err;
  }
  if (size > MAX_PDU_BYTES - ENVELOPE_RESERVE) throw Errors.tooLarge("An initial event's content is too large");
}

/** The request body of create_room.yaml, validated. */
export function parseCreateRoom(body: Record<string, unknown>, defaultVersion: string): CreateRoomRequest {
  const visibility = body["visibility"] ?? "private";
  if (visibility !== "public" && visibility !== "private") throw Errors.badJson("visibility must be 'public' or 'private'");

  const preset = body["preset"] ?? (visibility === "public" ? "public_chat" : "private_chat");
  if (typeof preset !== "string" || !PRESETS.includes(preset as Preset)) throw Errors.badJson(`preset must be one of ${PRESETS.join(", ")}`);

  const versionId = body["room_version"] ?? defaultVersion;
  if (typeof versionId !== "string") throw Errors.badJson("room_version must be a string");
  const version = getRoomVersion(versionId);
  if (!version) throw Errors.unsupportedRoomVersion(`This server does not support room version ${versionId}`);

  const aliasLocalpart = optionalString(body, "room_alias_name");
  if (aliasLocalpart !== undefined && (aliasLocalpart === "" || /[:\s]/.test(aliasLocalpart))) {
    throw Errors.invalidParam("room_alias_name must be a non-empty local part without ':' or whitespace");
  }

  const invite = body["invite"] ?? [];
  if (!Array.isArray(invite) || !invite.every((u) => typeof u === "string")) throw Errors.badJson("invite must be an array of user IDs");
  for (const u of invite as string[]) if (!isValidUserId(u)) throw Errors.invalidParam(`${u} is not a valid user ID`);
  const invite3pid = body["invite_3pid"];
  if (invite3pid !== undefined && (!Array.isArray(invite3pid) || invite3pid.length > 0)) {
    throw Errors.invalidParam("Third-party invites are not supported by this server");
  }

  const isDirect = body["is_direct"] ?? false;
  if (typeof isDirect !== "boolean") throw Errors.badJson("is_direct must be a boolean");

  return {
    visibility,
    preset: preset as Preset,
    version,
    aliasLocalpart,
    name: optionalString(body, "name"),
    topic: optionalString(body, "topic"),
    invite: [...new Set(invite as string[])],
    isDirect,
    creationContent: optionalObject(body, "creation_content") ?? {},
    initialState: parseInitialState(body["initial_state"]),
    powerLevelOverride: optionalObject(body, "power_level_content_override"),
  };
}

function parseInitialState(value: unknown): InitialStateEvent[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw Errors.badJson("initial_state must be an array");
  return value.map((ev, i) => {
    if (!isJsonObject(ev)) throw Errors.badJson(`initial_state[${i}] must be an object`);
    const o = ev as Record<string, unknown>;
    if (typeof o["type"] !== "string" || o["type"] === "") throw Errors.badJson(`initial_state[${i}].type must be a string`);
    const stateKey = o["state_key"] ?? "";
    if (typeof stateKey !== "string") throw Errors.badJson(`initial_state[${i}].state_key must be a string`);
    const content = o["content"];
    if (!isJsonObject(content)) throw Errors.badJson(`initial_state[${i}].content must be an object`);
    if (o["type"] === "m.room.create") throw Errors.invalidRoomState("initial_state cannot contain m.room.create; use creation_content");
    return { type: o["type"], stateKey, content: content as JsonObject };
  });
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw Errors.badJson(`${key} must be a string`);
  return v;
}

function optionalObject(body: Record<string, unknown>, key: string): JsonObject | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!isJsonObject(v)) throw Errors.badJson(`${key} must be an object`);
  return v;
}
