/**
 * Room versions 1–12 as data (spec: content/rooms/, one page per version, and the fragments
 * they pull in). Every rule that differs between room versions is a field here; code asks
 * this table and never compares version strings.
 *
 * | ver | event format | event ID        | redaction | auth    | state res | strict JSON | key validity |
 * |-----|--------------|-----------------|-----------|---------|-----------|-------------|--------------|
 * | 1   | v1           | carried         | v1        | v1      | v1        | no          | no           |
 * | 2   | v1           | carried         | v1        | v1      | v2        | no          | no           |
 * | 3   | v3           | base64          | v1        | v3      | v2        | no          | no           |
 * | 4   | v4           | base64url       | v1        | v3      | v2        | no          | no           |
 * | 5   | v4           | base64url       | v1        | v3      | v2        | no          | yes          |
 * | 6   | v6           | base64url       | v6        | v6      | v2        | yes         | yes          |
 * | 7   | v6           | base64url       | v6        | v7      | v2        | yes         | yes          |
 * | 8   | v6           | base64url       | v8        | v8      | v2        | yes         | yes          |
 * | 9   | v6           | base64url       | v9        | v8      | v2        | yes         | yes          |
 * | 10  | v6           | base64url       | v9        | v10     | v2        | yes         | yes          |
 * | 11  | v11          | base64url       | v11       | v11     | v2        | yes         | yes          |
 * | 12  | v12          | base64url       | v11       | v12     | v2.1      | yes         | yes          |
 */

/** PDU schema family: data/api/server-server/definitions/pdu_v*.yaml. */
export type EventFormat = "v1" | "v3" | "v4" | "v6" | "v11" | "v12";
/** How an event's ID is obtained: carried in the PDU (v1/v2) or the reference hash (v3+). */
export type EventIdFormat = "carried" | "base64" | "base64url";
/** Which redaction algorithm (fragments v1-, v6-, v9-, v11-redactions; v8 is inline in v8.md). */
export type RedactionAlgorithm = "v1" | "v6" | "v8" | "v9" | "v11";
/** State resolution: v1 (room v1), v2 (fragments/v2-state-res), v2.1 (v2 with the v12 changes). */
export type StateResAlgorithm = "v1" | "v2" | "v2.1";

export interface RoomVersion {
  readonly id: string;
  readonly eventFormat: EventFormat;
  readonly eventIdFormat: EventIdFormat;
  readonly redaction: RedactionAlgorithm;
  readonly stateRes: StateResAlgorithm;
  /** v6+: canonical JSON must be strict (no floats, integers within ±(2^53−1)). */
  readonly strictCanonicalJson: boolean;
  /** v5+: a key's `valid_until_ts` must cover the event's `origin_server_ts`. */
  readonly enforceKeyValidity: boolean;
  /** Upper bound (inclusive) on `depth`: 2^63−1 before v6, 2^53−1 from v6. */
  readonly maxDepth: number;
  /** v1/v2: the server in the `event_id` must also sign the event. */
  readonly eventIdServerSigns: boolean;
  /** v12: the room ID is `!` + the create event's reference hash, and create has no room_id. */
  readonly roomIdFromCreateEvent: boolean;
  /** v11+: `redacts` lives in `content` (pdu_v11), not at the top level. */
  readonly redactsInContent: boolean;

  // --- authorisation rule variants -------------------------------------------------------
  /** v1/v2: redaction checks are part of the auth rules (v1 rule 11: same domain or PL). From v3
   * they move out into "handling redactions", which is applied when serving to clients. */
  readonly redactionInAuthRules: boolean;
  /** v1–v5: `m.room.aliases` has its own auth rule (state_key must be the sender's domain). */
  readonly aliasesAuthRule: boolean;
  /** v6+: `notifications` is one of the power-level keys checked when power levels change. */
  readonly notificationsPowerLevel: boolean;
  /** v7+: `knock` join rule and membership. */
  readonly knocking: boolean;
  /** v8+: `restricted` join rule and `join_authorised_via_users_server`. */
  readonly restrictedJoins: boolean;
  /** v10+: `knock_restricted` join rule. */
  readonly knockRestricted: boolean;
  /** v1–v9: power-level values may be strings holding integers ("v1-stringy-power-levels"). */
  readonly stringyPowerLevels: boolean;
  /** v1–v5: power-level values may be floats (truncated; "v1-floaty-power-levels"). */
  readonly floatyPowerLevels: boolean;
  /** v10+: power-level values must be integers; anything else is rejected. */
  readonly integerPowerLevels: boolean;
  /** v1–v10: `m.room.create` must have `content.creator`. v11+ use the create event's sender. */
  readonly createHasCreator: boolean;
  /** v12: creators (sender + `additional_creators`) have infinite power and are not in PL users. */
  readonly creatorsHaveInfinitePower: boolean;
  /** v1–v11: `m.room.create` belongs in `auth_events`; v12 forbids it. */
  readonly createInAuthEvents: boolean;
  /**
   * v12+: `invite_room_state` / `knock_room_state` MUST hold the create event and only full,
   * well-signed PDUs of the room (Matrix 1.16, MSC4311); receivers SHOULD refuse anything else.
   * For v1–v11 they MAY skip the validation (older servers sent bare stripped state).
   */
  readonly strictOfferedRoomState: boolean;
}

const POW63 = 9223372036854775807; // 2^63−1; only approximated by a double, compared loosely
const POW53 = Number.MAX_SAFE_INTEGER;

const base: Omit<RoomVersion, "id"> = {
  eventFormat: "v1",
  eventIdFormat: "carried",
  redaction: "v1",
  stateRes: "v1",
  strictCanonicalJson: false,
  enforceKeyValidity: false,
  maxDepth: POW63,
  eventIdServerSigns: true,
  roomIdFromCreateEvent: false,
  redactsInContent: false,
  redactionInAuthRules: true,
  aliasesAuthRule: true,
  notificationsPowerLevel: false,
  knocking: false,
  restrictedJoins: false,
  knockRestricted: false,
  stringyPowerLevels: true,
  floatyPowerLevels: true,
  integerPowerLevels: false,
  createHasCreator: true,
  creatorsHaveInfinitePower: false,
  createInAuthEvents: true,
  strictOfferedRoomState: false,
};

function derive(prev: RoomVersion, id: string, changes: Partial<Omit<RoomVersion, "id">>): RoomVersion {
  return Object.freeze({ ...prev, ...changes, id });
}

const v1 = Object.freeze({ ...base, id: "1" });
const v2 = derive(v1, "2", { stateRes: "v2" });
const v3 = derive(v2, "3", {
  eventFormat: "v3",
  eventIdFormat: "base64",
  eventIdServerSigns: false,
  redactionInAuthRules: false,
});
const v4 = derive(v3, "4", { eventFormat: "v4", eventIdFormat: "base64url" });
const v5 = derive(v4, "5", { enforceKeyValidity: true });
const v6 = derive(v5, "6", {
  eventFormat: "v6",
  redaction: "v6",
  strictCanonicalJson: true,
  maxDepth: POW53,
  aliasesAuthRule: false,
  notificationsPowerLevel: true,
  floatyPowerLevels: false,
});
const v7 = derive(v6, "7", { knocking: true });
const v8 = derive(v7, "8", { redaction: "v8", restrictedJoins: true });
const v9 = derive(v8, "9", { redaction: "v9" });
const v10 = derive(v9, "10", { knockRestricted: true, stringyPowerLevels: false, integerPowerLevels: true });
const v11 = derive(v10, "11", {
  eventFormat: "v11",
  redaction: "v11",
  redactsInContent: true,
  createHasCreator: false,
});
const v12 = derive(v11, "12", {
  eventFormat: "v12",
  stateRes: "v2.1",
  roomIdFromCreateEvent: true,
  creatorsHaveInfinitePower: true,
  createInAuthEvents: false,
  strictOfferedRoomState: true,
});

export const ROOM_VERSIONS: ReadonlyMap<string, RoomVersion> = new Map(
  [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12].map((v) => [v.id, v]),
);

/** The version new rooms get unless the client asks otherwise (spec: SHOULD be 12). */
export const DEFAULT_ROOM_VERSION = "12";

export function getRoomVersion(id: string): RoomVersion | undefined {
  return ROOM_VERSIONS.get(id);
}

export function isSupportedRoomVersion(id: string): boolean {
  return ROOM_VERSIONS.has(id);
}

/** Room version grammar (rooms/_index.md): at most 32 code points of [a-z0-9.-]. */
export function isValidRoomVersionString(id: string): boolean {
  return /^[a-z0-9.-]{1,32}$/.test(id);
}
