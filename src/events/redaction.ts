/**
 * The redaction algorithm, per room version (rooms/fragments/v1-redactions.md, v6-redactions.md,
 * the inline algorithm in rooms/v8.md, v9-redactions.md, v11-redactions.md). The table says
 * which algorithm a version uses (`version.redaction`).
 *
 * Redaction is what event signatures and reference hashes cover, so every byte here is
 * consensus-critical: a key kept or dropped wrongly makes every signature check and every
 * v3+ event ID disagree with the rest of the federation.
 *
 * The returned object is new, but nested values that survive unchanged (`signatures`,
 * `hashes`, `prev_events`, kept content values, …) are shared with the input, not copied.
 * Treat both as immutable.
 */
import type { RedactionAlgorithm, RoomVersion } from "./room-versions.js";
import type { JsonObject, JsonValue, Pdu } from "./types.js";

/** Anything shaped like an event: a parsed PDU or a plain JSON object being built. */
export type EventJson = JsonObject | Pdu;

/** Top-level keys kept by the v1, v6, v8 and v9 algorithms. */
const TOP_LEVEL_V1: ReadonlySet<string> = new Set([
  "event_id",
  "type",
  "room_id",
  "sender",
  "state_key",
  "content",
  "hashes",
  "signatures",
  "depth",
  "prev_events",
  "prev_state",
  "auth_events",
  "origin",
  "origin_server_ts",
  "membership",
]);

/** v11 no longer protects the top-level `origin`, `membership` and `prev_state`. */
const TOP_LEVEL_V11: ReadonlySet<string> = new Set(
  [...TOP_LEVEL_V1].filter((key) => key !== "origin" && key !== "membership" && key !== "prev_state"),
);

/** Content keys an event type keeps; `"all"` keeps the whole content (v11 `m.room.create`). */
type ContentRule = readonly string[] | "all";
type ContentRules = Readonly<Record<string, ContentRule>>;

const POWER_LEVELS_V1 = ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"];

const CONTENT_V1: ContentRules = {
  "m.room.member": ["membership"],
  "m.room.create": ["creator"],
  "m.room.join_rules": ["join_rule"],
  "m.room.power_levels": POWER_LEVELS_V1,
  "m.room.aliases": ["aliases"],
  "m.room.history_visibility": ["history_visibility"],
};

// v6 stops protecting m.room.aliases (fragments/v6-redactions.md).
const CONTENT_V6: ContentRules = {
  "m.room.member": ["membership"],
  "m.room.create": ["creator"],
  "m.room.join_rules": ["join_rule"],
  "m.room.power_levels": POWER_LEVELS_V1,
  "m.room.history_visibility": ["history_visibility"],
};

// v8 keeps the restricted-join `allow` list (rooms/v8.md "Redactions").
const CONTENT_V8: ContentRules = { ...CONTENT_V6, "m.room.join_rules": ["join_rule", "allow"] };

// v9 also keeps the authorising user of a restricted join (fragments/v9-redactions.md).
const CONTENT_V9: ContentRules = { ...CONTENT_V8, "m.room.member": ["membership", "join_authorised_via_users_server"] };

// v11 (fragments/v11-redactions.md): create keeps everything, power levels keep `invite`,
// redaction keeps `redacts`; member's `third_party_invite.signed` is handled in redactContent.
const CONTENT_V11: ContentRules = {
  "m.room.member": ["membership", "join_authorised_via_users_server"],
  "m.room.create": "all",
  "m.room.join_rules": ["join_rule", "allow"],
  "m.room.power_levels": [...POWER_LEVELS_V1, "invite"],
  "m.room.history_visibility": ["history_visibility"],
  "m.room.redaction": ["redacts"],
};

const CONTENT_RULES: Readonly<Record<RedactionAlgorithm, ContentRules>> = {
  v1: CONTENT_V1,
  v6: CONTENT_V6,
  v8: CONTENT_V8,
  v9: CONTENT_V9,
  v11: CONTENT_V11,
};

/** Redact `event` as room `version` prescribes. `unsigned` never survives. */
export function redact(event: EventJson, version: RoomVersion): JsonObject {
  return redactInto(event, version.redaction, true);
}

/**
 * The redacted event without `signatures`: exactly the object whose canonical JSON is both
 * signed (server-server "Adding hashes and signatures to outgoing events") and hashed for the
 * reference hash ("Calculating the reference hash for an event"). Built directly rather than
 * by deleting from `redact()`'s result so the hot path never pays for a `delete`.
 */
export function redactedEssentials(event: EventJson, version: RoomVersion): JsonObject {
  return redactInto(event, version.redaction, false);
}

/** Top-level keys the version's redaction keeps (besides these, everything is dropped). */
export function redactionKeepsTopLevel(version: RoomVersion): ReadonlySet<string> {
  return version.redaction === "v11" ? TOP_LEVEL_V11 : TOP_LEVEL_V1;
}

/** The redacted form of an event's `content`. */
export function redactedContent(type: JsonValue | undefined, content: JsonValue, version: RoomVersion): JsonObject {
  return redactContent(type, content, version.redaction);
}

function redactInto(event: EventJson, algorithm: RedactionAlgorithm, keepSignatures: boolean): JsonObject {
  const keep = algorithm === "v11" ? TOP_LEVEL_V11 : TOP_LEVEL_V1;
  const out: JsonObject = {};
  for (const key in event) {
    if (!keep.has(key) || (!keepSignatures && key === "signatures")) continue;
    const value = event[key];
    if (value === undefined) continue;
    out[key] = key === "content" ? redactContent(event.type, value, algorithm) : value;
  }
  return out;
}

function redactContent(type: JsonValue | undefined, content: JsonValue, algorithm: RedactionAlgorithm): JsonObject {
  if (!isObject(content) || typeof type !== "string") return {};
  const rules = CONTENT_RULES[algorithm];
  // Own-property check: an event type such as "constructor" must not hit Object.prototype.
  const rule = Object.prototype.hasOwnProperty.call(rules, type) ? rules[type] : undefined;
  if (rule === undefined) return {};
  if (rule === "all") return { ...content };
  const out: JsonObject = {};
  for (const key of rule) {
    const value = content[key];
    if (value !== undefined && Object.prototype.hasOwnProperty.call(content, key)) out[key] = value;
  }
  // v11: "allows the `signed` key of the `third_party_invite` key" — the invite object
  // survives holding `signed` only, and only when it is an object that has one.
  if (algorithm === "v11" && type === "m.room.member") {
    const invite = content.third_party_invite;
    if (isObject(invite) && invite.signed !== undefined && Object.prototype.hasOwnProperty.call(invite, "signed")) {
      out.third_party_invite = { signed: invite.signed };
    }
  }
  return out;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
