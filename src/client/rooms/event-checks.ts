/**
 * Checks on events clients send, before the room actor builds and signs them:
 *
 * - Size limits (client-server-api "Size limits"): the federation-format event "MUST NOT be
 *   larger than 65536 bytes" as canonical JSON; `type` and `state_key` at most 255 bytes. The
 *   event is measured with its envelope as it will be built (our room ID, sender, the current
 *   number of prev events, the auth events, hashes and our signature): 413 M_TOO_LARGE.
 * - Content must be encodable as the room version's canonical JSON (v6+: integers only, within
 *   ±(2^53−1)): 400 M_BAD_JSON instead of an event nobody could sign.
 * - `m.room.message` without a `msgtype` or a textual `body`: 400 (modules/instant_messaging.md
 *   "Homeservers SHOULD reject …").
 * - Redactions (redaction.yaml): a user may redact their own events with the power to send
 *   `m.room.redaction`, and other users' events only with the `redact` level too. From room v3
 *   the auth rules no longer check this (it moved to "Handling redactions"), so it is checked
 *   here for our users: 403 otherwise.
 * - `m.room.canonical_alias` (room_state.yaml): new aliases must be valid (M_INVALID_PARAM) and
 *   point to this room (M_BAD_ALIAS); aliases already in the state are not re-checked.
 */
import type { App } from "../../app.js";
import { resolveAlias } from "../../directory/resolve-alias.js";
import { Errors, MatrixError } from "../../errors.js";
import { CanonicalJsonError, canonicalJsonSize } from "../../events/canonical-json.js";
import { isValidRoomAlias } from "../../events/ids.js";
import { MAX_KEY_BYTES, MAX_PDU_BYTES } from "../../events/pdu-format.js";
import type { RoomVersion } from "../../events/room-versions.js";
import type { JsonObject, JsonValue } from "../../events/types.js";
import { namedLevel, userPowerLevel } from "../../rooms/auth/power-levels.js";
import { MAX_PREV_EVENTS, type LocalEventSpec } from "../../rooms/local/build-event.js";
import type { RoomContext } from "../../rooms/room-context.js";
import { StateView } from "../../rooms/state-view.js";

/** Auth events of any event: create, power levels, sender's member, join rules, target member, 3pid. */
const MAX_AUTH_REFS = 6;

export function checkEventSize(app: App, ctx: RoomContext, spec: LocalEventSpec): void {
  if (Buffer.byteLength(spec.type) > MAX_KEY_BYTES) throw Errors.invalidParam("Event type is longer than 255 bytes");
  if (spec.stateKey !== undefined && Buffer.byteLength(spec.stateKey) > MAX_KEY_BYTES) throw Errors.invalidParam("State key is longer than 255 bytes");
  const prevCount = Math.max(1, Math.min(MAX_PREV_EVENTS, app.storage.rooms.getHeads(ctx.roomNid).extremities.length));
  const envelope = estimatedEnvelope(app, ctx.version, ctx.roomId, prevCount);
  let size: number;
  try {
    size = canonicalJsonSize({ ...envelope, type: spec.type, sender: spec.sender, content: spec.content, ...(spec.stateKey !== undefined ? { state_key: spec.stateKey } : {}), ...(spec.redacts !== undefined ? { redacts: spec.redacts } : {}) }, ctx.version.strictCanonicalJson);
  } catch (err) {
    if (err instanceof CanonicalJsonError) throw Errors.badJson(`Event content cannot be encoded for this room version: ${err.message}`);
    throw err;
  }
  if (size > MAX_PDU_BYTES) throw Errors.tooLarge(`The event would be ${size} bytes; events are limited to ${MAX_PDU_BYTES}`);
}

function estimatedEnvelope(app: App, version: RoomVersion, roomId: string, prevCount: number): JsonObject {
  // v1/v2 reference other events as [id, {sha256}] and carry their own event_id.
  const carried = version.eventIdFormat === "carried";
  const ref = (i: number): JsonValue =>
    carried ? [`$${"x".repeat(18)}${i}:${app.serverName}`, { sha256: "h".repeat(43) }] : `$${"x".repeat(42)}${i}`;
  const refs = (n: number) => Array.from({ length: n }, (_, i) => ref(i));
  return {
    ...(carried ? { event_id: `$${"x".repeat(18)}:${app.serverName}` } : {}),
    room_id: roomId,
    origin_server_ts: 1e13,
    depth: 1e15,
    prev_events: refs(prevCount),
    auth_events: refs(MAX_AUTH_REFS),
    hashes: { sha256: "h".repeat(43) },
    signatures: { [app.serverName]: { [app.signingKey.keyId]: "s".repeat(86) } },
  };
}

/** modules/instant_messaging.md: `msgtype` and a textual `body` are required. */
export function checkMessageContent(type: string, content: JsonObject): void {
  if (type !== "m.room.message") return;
  if (typeof content["msgtype"] !== "string") throw Errors.badJson("m.room.message needs a msgtype");
  if (typeof content["body"] !== "string") throw Errors.badJson("m.room.message needs a textual body");
}

/** The redaction permission rules of redaction.yaml, against the current state. */
export function checkMayRedact(app: App, ctx: RoomContext, sender: string, target: string): void {
  const rec = app.storage.events.getEvent(target);
  if (rec && rec.roomNid !== ctx.roomNid) throw Errors.notFound("Event not found in this room");
  if (rec && rec.pdu.sender === sender) return; // own event: the m.room.redaction level, checked by the auth rules
  const state = new StateView(ctx.storage, ctx.loader, app.storage.rooms.getHeads(ctx.roomNid).stateRoot);
  if (userPowerLevel(sender, state, ctx.version) < namedLevel("redact", state, ctx.version)) {
    throw Errors.forbidden("You do not have the power level to redact other users' events");
  }
}

/** room_state.yaml: new aliases of an `m.room.canonical_alias` event must be valid and ours. */
export async function checkCanonicalAlias(app: App, ctx: RoomContext, content: JsonObject): Promise<void> {
  const given: JsonValue[] = [];
  if (content["alias"] !== undefined && content["alias"] !== null) given.push(content["alias"]);
  const alt = content["alt_aliases"];
  if (alt !== undefined && alt !== null) {
    if (!Array.isArray(alt)) throw Errors.invalidParam("alt_aliases must be an array");
    given.push(...alt);
  }
  const nid = app.storage.rooms.currentStateNid(ctx.roomNid, "m.room.canonical_alias", "");
  const before = nid === undefined ? undefined : app.rooms.loader.byNid(nid)?.content;
  const existing = new Set<JsonValue>([before?.["alias"] ?? null, ...(Array.isArray(before?.["alt_aliases"]) ? before["alt_aliases"] : [])]);
  for (const alias of given) {
    if (existing.has(alias)) continue;
    if (typeof alias !== "string" || !isValidRoomAlias(alias)) throw Errors.invalidParam(`Invalid alias ${String(alias)}`);
    let roomId: string | undefined;
    try {
      roomId = (await resolveAlias(app, alias)).room_id;
    } catch (err) {
      if (!(err instanceof MatrixError) || err.status !== 404) throw err;
    }
    if (roomId !== ctx.roomId) throw new MatrixError(400, "M_BAD_ALIAS", `The alias '${alias}' does not point to this room.`);
  }
}
