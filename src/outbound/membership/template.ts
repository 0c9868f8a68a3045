/**
 * The first half of every membership handshake we start (server-server-api.md "Joining
 * Rooms", "Knocking upon a room", "Leaving Rooms"): ask a resident for a template
 * (`make_join` / `make_knock` / `make_leave`), check it, complete it, sign it.
 *
 * The template checks are MUSTs on the caller (joins-v1.yaml, knocks.yaml, leaving-v1.yaml):
 * `room_id` is the path roomId, `sender` and `state_key` are the path userId, `type` is
 * `m.room.member`, `content.membership` is the expected one; otherwise the response "MUST be
 * treated as malformed and discarded", and we may try another server.
 *
 * Completing: "The joining server is expected to add or replace the origin,
 * origin_server_ts, and event_id" — and drop anything a template must not carry into our
 * signature (hashes, signatures, unsigned).
 */
import type { App } from "../../app.js";
import { checkPduFormat } from "../../events/pdu-format.js";
import { getRoomVersion, ROOM_VERSIONS, type RoomVersion } from "../../events/room-versions.js";
import type { JsonObject, JsonValue, Pdu } from "../../events/types.js";
import { AUTHORISING_USER } from "../../rooms/auth/restricted-join.js";
import { newCarriedEventId } from "../../rooms/local/build-event.js";
import { withQuery } from "../federation-client.js";
import { InvalidRemoteResponse } from "./remote-errors.js";

export type HandshakeMembership = "join" | "knock" | "leave";

export interface Template {
  readonly server: string;
  readonly version: RoomVersion;
  readonly event: JsonObject;
}

export interface SignedMembership {
  readonly version: RoomVersion;
  readonly pdu: Pdu;
  readonly eventId: string;
}

/** Every room version we can take part in, for `ver` (joins-v1.yaml, knocks.yaml). */
export function supportedVersions(): string[] {
  return [...ROOM_VERSIONS.keys()];
}

/** GET make_{membership} from `server` and check the template. */
export async function fetchTemplate(app: App, server: string, membership: HandshakeMembership, roomId: string, userId: string): Promise<Template> {
  const base = `/_matrix/federation/v1/make_${membership}/${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}`;
  // make_leave has no `ver`: leaving needs no understanding of the room's features.
  const path = membership === "leave" ? base : withQuery(base, { ver: supportedVersions() });
  const res = await app.federation.get<unknown>(server, path);
  if (!res || typeof res !== "object" || Array.isArray(res)) throw new InvalidRemoteResponse(server, `make_${membership} answer is not an object`);
  const { room_version: rv, event } = res as { room_version?: unknown; event?: unknown };
  // joins-v1.yaml / leaving-v1.yaml: "If not provided, the room version is assumed to be
  // either "1" or "2"" (same event format; we take 1). knocks.yaml requires it.
  if (rv === undefined && membership === "knock") throw new InvalidRemoteResponse(server, "make_knock answer has no room_version");
  const versionId = rv === undefined ? "1" : rv;
  if (typeof versionId !== "string") throw new InvalidRemoteResponse(server, "room_version is not a string");
  const version = getRoomVersion(versionId);
  if (!version) throw new InvalidRemoteResponse(server, `room version ${versionId} was not among those we asked for`);
  if (membership === "knock" && !version.knocking) throw new InvalidRemoteResponse(server, `room version ${versionId} has no knocking`);
  if (!event || typeof event !== "object" || Array.isArray(event)) throw new InvalidRemoteResponse(server, `make_${membership} answer has no event template`);
  const problem = templateProblem(event as JsonObject, roomId, userId, membership);
  if (problem) throw new InvalidRemoteResponse(server, `make_${membership} template discarded: ${problem}`);
  return { server, version, event: event as JsonObject };
}

/** The caller MUSTs on a template; null when it passes. */
export function templateProblem(event: JsonObject, roomId: string, userId: string, membership: HandshakeMembership): string | null {
  if (event.room_id !== roomId) return "room_id is not the room asked for";
  if (event.sender !== userId) return "sender is not the user asked for";
  if (event.state_key !== userId) return "state_key is not the user asked for";
  if (event.type !== "m.room.member") return "type is not m.room.member";
  const content = event.content;
  if (!content || typeof content !== "object" || Array.isArray(content)) return "content is not an object";
  if ((content as JsonObject).membership !== membership) return `content.membership is not ${membership}`;
  return null;
}

/**
 * Our event from a checked template: the template's fields, content merged with what the
 * client asked for (the template's `membership` and restricted-join authoriser win), our
 * origin and timestamp, and a fresh event ID in room versions that carry one.
 */
export function completeTemplate(app: App, template: Template, extraContent: JsonObject = {}): JsonObject {
  const { hashes: _h, signatures: _s, unsigned: _u, event_id: _e, ...fields } = template.event;
  const templateContent = template.event.content as JsonObject;
  const content: JsonObject = { ...templateContent };
  for (const [k, v] of Object.entries(extraContent)) {
    // Profile fields and reason come from the client; the template decides membership and
    // join_authorised_via_users_server.
    if (k !== "membership" && k !== AUTHORISING_USER) content[k] = v as JsonValue;
  }
  const event: JsonObject = { ...fields, content, origin: app.serverName, origin_server_ts: Date.now() };
  if (template.version.eventIdFormat === "carried") event.event_id = newCarriedEventId(app.serverName);
  return event;
}

/** Hash and sign in the pool; the result must be a well-formed PDU or the template was bad. */
export async function signTemplate(app: App, template: Template, event: JsonObject): Promise<SignedMembership> {
  const [signed] = await app.pool.signEvents([event], [template.version.id]);
  const format = checkPduFormat(signed!.pdu, template.version);
  if (!format.ok) throw new InvalidRemoteResponse(template.server, `template does not make a valid event: ${format.reason}`);
  return { version: template.version, pdu: signed!.pdu, eventId: signed!.eventId };
}
