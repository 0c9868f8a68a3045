/**
 * Well-formed request bodies for the endpoints that take one, with the fields whose absence
 * (`required`) or wrong JSON type (`typed`) the endpoint must refuse with a 4xx Matrix error.
 * The bad-input test never sends these bodies as they are, only mutated: a field removed or
 * given a value of another type. Only fields whose type the spec fixes are listed (event
 * content is free-form, so `send`/`state` have none); a field is `required` only when leaving
 * it out cannot make a valid request with side effects (e.g. register without a username).
 * Every `typed` field is present in `body` with a valid value, so its wrong-typed variants
 * differ from a valid request in that one field.
 *
 * Keys are `METHOD pattern` as registered on the routers.
 */
import type { JsonObject } from "../../../src/events/types.js";

export interface BodyContext {
  readonly serverName: string;
  readonly remoteServer: string;
  readonly roomId: string;
  readonly localUser: string;
  readonly remoteUser: string;
  readonly eventId: string;
  /** A join event as a remote server would send it to send_join (valid shape). */
  readonly joinEvent: JsonObject;
}

export interface BodySpec {
  readonly body: JsonObject;
  readonly required?: readonly string[];
  readonly typed?: readonly string[];
}

type Specs = Readonly<Record<string, (c: BodyContext) => BodySpec>>;

const eventBody = (c: BodyContext): BodySpec => ({
  body: c.joinEvent,
  required: ["type", "sender", "room_id", "content", "origin_server_ts", "auth_events", "prev_events", "depth"],
  typed: ["state_key", "hashes", "signatures"],
});

export const FEDERATION_BODIES: Specs = {
  "PUT /_matrix/federation/v1/send/:txnId": (c) => ({
    body: { origin: c.remoteServer, origin_server_ts: 1_700_000_000_000, pdus: [], edus: [] },
    required: ["origin", "origin_server_ts", "pdus"],
    typed: ["edus"],
  }),
  "PUT /_matrix/federation/v1/send_join/:roomId/:eventId": eventBody,
  "PUT /_matrix/federation/v2/send_join/:roomId/:eventId": eventBody,
  "PUT /_matrix/federation/v1/send_leave/:roomId/:eventId": eventBody,
  "PUT /_matrix/federation/v2/send_leave/:roomId/:eventId": eventBody,
  "PUT /_matrix/federation/v1/send_knock/:roomId/:eventId": eventBody,
  "PUT /_matrix/federation/v1/invite/:roomId/:eventId": eventBody,
  "PUT /_matrix/federation/v2/invite/:roomId/:eventId": (c) => ({
    body: { event: c.joinEvent, room_version: "12", invite_room_state: [] },
    required: ["event", "room_version"],
    typed: ["invite_room_state"],
  }),
  "PUT /_matrix/federation/v1/exchange_third_party_invite/:roomId": eventBody,
  "PUT /_matrix/federation/v1/3pid/onbind": (c) => ({
    body: { address: "a@example.org", medium: "email", mxid: c.localUser, invites: [] },
    required: ["address", "medium", "mxid", "invites"],
  }),
  "POST /_matrix/federation/v1/user/keys/query": (c) => ({ body: { device_keys: { [c.localUser]: [] } }, required: ["device_keys"] }),
  "POST /_matrix/federation/v1/user/keys/claim": (c) => ({ body: { one_time_keys: { [c.localUser]: {} } }, required: ["one_time_keys"] }),
  "POST /_matrix/federation/v1/get_missing_events/:roomId": (c) => ({
    body: { earliest_events: [], latest_events: [c.eventId], limit: 10, min_depth: 0 },
    required: ["earliest_events", "latest_events"],
    typed: ["limit", "min_depth"],
  }),
  "POST /_matrix/federation/v1/publicRooms": () => ({
    body: { limit: 10, filter: { generic_search_term: "x" }, include_all_networks: false },
    typed: ["limit", "filter", "include_all_networks"],
  }),
  "POST /_matrix/key/v2/query": () => ({ body: { server_keys: {} }, typed: ["server_keys"] }),
};

export const CLIENT_BODIES: Specs = {
  "POST /_matrix/client/v3/register": () => ({
    body: { username: "mallory", password: "a-long-password-1", auth: { type: "m.login.dummy" }, device_id: "D", initial_device_display_name: "d", inhibit_login: true },
    typed: ["username", "password", "auth", "device_id", "initial_device_display_name", "inhibit_login"],
  }),
  "POST /_matrix/client/v3/login": (c) => ({
    body: {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: c.localUser },
      password: "wrong-password",
      device_id: "D",
      initial_device_display_name: "d",
    },
    required: ["type"],
    typed: ["identifier", "password", "device_id", "initial_device_display_name"],
  }),
  "PUT /_matrix/client/v3/devices/:deviceId": () => ({ body: { display_name: "x" }, typed: ["display_name"] }),
  "POST /_matrix/client/v3/delete_devices": () => ({ body: { devices: ["NOPE"], auth: {} }, required: ["devices"], typed: ["auth"] }),
  "POST /_matrix/client/v3/keys/upload": () => ({ body: { device_keys: {}, one_time_keys: {}, fallback_keys: {} }, typed: ["device_keys", "one_time_keys", "fallback_keys"] }),
  "POST /_matrix/client/v3/keys/query": (c) => ({ body: { device_keys: { [c.localUser]: [] }, timeout: 10 }, required: ["device_keys"], typed: ["timeout"] }),
  "POST /_matrix/client/v3/keys/claim": (c) => ({ body: { one_time_keys: { [c.localUser]: {} }, timeout: 10 }, required: ["one_time_keys"], typed: ["timeout"] }),
  "POST /_matrix/client/v3/keys/device_signing/upload": () => ({
    body: { master_key: {}, self_signing_key: {}, user_signing_key: {}, auth: {} },
    typed: ["master_key", "self_signing_key", "user_signing_key", "auth"],
  }),
  "PUT /_matrix/client/v3/profile/:userId/:keyName": () => ({ body: { displayname: "x" }, required: ["displayname"] }),
  "PUT /_matrix/client/v3/directory/room/:roomAlias": (c) => ({ body: { room_id: c.roomId }, required: ["room_id"] }),
  "PUT /_matrix/client/v3/directory/list/room/:roomId": () => ({ body: { visibility: "private" }, typed: ["visibility"] }),
  "POST /_matrix/client/v3/rooms/:roomId/invite": (c) => ({ body: { user_id: c.remoteUser, reason: "r" }, required: ["user_id"], typed: ["reason"] }),
  "POST /_matrix/client/v3/rooms/:roomId/kick": (c) => ({ body: { user_id: c.remoteUser, reason: "r" }, required: ["user_id"], typed: ["reason"] }),
  "POST /_matrix/client/v3/rooms/:roomId/ban": (c) => ({ body: { user_id: c.remoteUser, reason: "r" }, required: ["user_id"], typed: ["reason"] }),
  "POST /_matrix/client/v3/rooms/:roomId/unban": (c) => ({ body: { user_id: c.remoteUser, reason: "r" }, required: ["user_id"], typed: ["reason"] }),
  "POST /_matrix/client/v3/rooms/:roomId/join": () => ({ body: { reason: "r", third_party_signed: {} }, typed: ["reason", "third_party_signed"] }),
  "POST /_matrix/client/v3/rooms/:roomId/leave": () => ({ body: { reason: "r" }, typed: ["reason"] }),
  "PUT /_matrix/client/v3/rooms/:roomId/redact/:eventId/:txnId": () => ({ body: { reason: "r" }, typed: ["reason"] }),
  "PUT /_matrix/client/v3/rooms/:roomId/typing/:userId": () => ({ body: { typing: true, timeout: 1000 }, required: ["typing"], typed: ["timeout"] }),
  "POST /_matrix/client/v3/rooms/:roomId/receipt/:receiptType/:eventId": () => ({ body: { thread_id: "main" }, typed: ["thread_id"] }),
  "POST /_matrix/client/v3/rooms/:roomId/read_markers": (c) => ({ body: { "m.fully_read": c.eventId, "m.read": c.eventId, "m.read.private": c.eventId }, typed: ["m.fully_read", "m.read", "m.read.private"] }),
  "POST /_matrix/client/v3/publicRooms": () => ({
    body: { limit: 10, filter: { generic_search_term: "x" }, include_all_networks: false, third_party_instance_id: "x" },
    typed: ["limit", "filter", "include_all_networks", "third_party_instance_id"],
  }),
  "POST /_matrix/client/v3/createRoom": () => ({
    body: {
      preset: "private_chat",
      name: "n",
      topic: "t",
      visibility: "private",
      invite: [],
      initial_state: [],
      power_level_content_override: {},
      room_version: "12",
      creation_content: {},
      is_direct: false,
      room_alias_name: "bad-input-alias",
    },
    typed: ["name", "topic", "preset", "visibility", "invite", "initial_state", "power_level_content_override", "room_version", "creation_content", "is_direct", "room_alias_name"],
  }),
  "POST /_matrix/client/v3/join/:roomIdOrAlias": () => ({ body: { reason: "r", third_party_signed: {} }, typed: ["reason", "third_party_signed"] }),
  "POST /_matrix/client/v3/knock/:roomIdOrAlias": () => ({ body: { reason: "r" }, typed: ["reason"] }),
  "POST /_matrix/client/v3/user/:userId/filter": () => ({
    body: { room: { timeline: { limit: 10 } }, event_fields: [], event_format: "client", presence: {}, account_data: {} },
    typed: ["event_fields", "event_format", "presence", "account_data", "room"],
  }),
  "PUT /_matrix/client/v3/presence/:userId/status": () => ({ body: { presence: "online", status_msg: "hi" }, required: ["presence"], typed: ["status_msg"] }),
  "PUT /_matrix/client/v3/sendToDevice/:eventType/:txnId": () => ({ body: { messages: {} }, required: ["messages"] }),
};

/** A JSON value of a different type than `v`. */
export function wrongType(v: unknown): unknown[] {
  if (typeof v === "string") return [42, ["x"]];
  if (typeof v === "number") return ["12", { n: 1 }];
  if (typeof v === "boolean") return ["true", 1];
  if (Array.isArray(v)) return [{ a: 1 }, "x"];
  if (v !== null && typeof v === "object") return [["x"], "x", 7];
  return [{ x: 1 }, "x"];
}

