/**
 * The shapes events take inside Conflux.
 *
 * - `Pdu` is the federation form, exactly as signed and as sent over the wire, for any room
 *   version (pdu_v1 … pdu_v12). It is what is hashed, signed, stored and served.
 * - `RoomEvent` is the normalised view the rooms engine works with: the event ID resolved
 *   (carried in v1/v2, computed in v3+), the room ID resolved (computed for a v12 create),
 *   prev/auth event IDs as plain lists whatever the version's format, and `redacts` read from
 *   wherever the version keeps it. Auth rules and state resolution only ever see this.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** `{server_name: {key_id: unpadded_base64_signature}}` */
export type Signatures = Record<string, Record<string, string>>;

/** v1/v2 reference to another event: `[event_id, {sha256: hash}]`. */
export type EventReferenceV1 = [string, { sha256: string }];

export interface Pdu {
  /** Only in room versions 1 and 2. */
  event_id?: string;
  /** Absent only on the `m.room.create` event of a v12 room. */
  room_id?: string;
  sender: string;
  /** Deprecated top-level `origin`; kept because it is covered by v1–v10 redaction/hashes. */
  origin?: string;
  origin_server_ts: number;
  type: string;
  state_key?: string;
  content: JsonObject;
  prev_events: string[] | EventReferenceV1[];
  auth_events: string[] | EventReferenceV1[];
  depth: number;
  hashes: { sha256: string; [alg: string]: string };
  signatures: Signatures;
  unsigned?: JsonObject;
  /** Top-level `redacts` of `m.room.redaction` before room v11. */
  redacts?: string;
  [key: string]: JsonValue | undefined;
}

export interface RoomEvent {
  readonly eventId: string;
  readonly roomId: string;
  readonly type: string;
  /** `undefined` for non-state events; `""` is a valid state key. */
  readonly stateKey: string | undefined;
  readonly sender: string;
  readonly content: JsonObject;
  readonly prevEvents: readonly string[];
  readonly authEvents: readonly string[];
  readonly depth: number;
  readonly originServerTs: number;
  /** The event a redaction redacts, from `content.redacts` (v11+) or top-level `redacts`. */
  readonly redacts: string | undefined;
  /** The federation form this view was built from. */
  readonly pdu: Pdu;
}

/** `(type, state_key)` pair identifying a slot of room state. */
export interface StateKeyTuple {
  readonly type: string;
  readonly stateKey: string;
}

/** Is this event a state event (has a `state_key`, possibly empty)? */
export function isStateEvent(ev: { stateKey: string | undefined }): boolean {
  return ev.stateKey !== undefined;
}

/**
 * A state slot as one string key: `type` NUL `state_key`. Event types never contain NUL (the
 * PDU format check rejects them), so splitting at the first NUL is unambiguous.
 */
export type StateKey = string;

export function stateKey(type: string, stateKey: string): StateKey {
  return `${type}\u0000${stateKey}`;
}

export function splitStateKey(key: StateKey): StateKeyTuple {
  const i = key.indexOf("\u0000");
  return { type: key.slice(0, i), stateKey: key.slice(i + 1) };
}
