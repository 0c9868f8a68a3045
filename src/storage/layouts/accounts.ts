/**
 * Sub-databases of this domain: local users, devices, access tokens, profiles, end-to-end key
 * material (device keys, one-time and fallback keys, cross-signing keys and signatures) and
 * the device-list change stream. Same conventions as src/storage/layout.ts (which merges this
 * object into LAYOUT). The modules that read and write them live in src/accounts/.
 *
 * JSON a client uploaded (device keys, one-time keys, cross-signing keys, profiles) is stored
 * as JSON text, never as a msgpack map (a `__proto__` key must survive: signatures cover it).
 */
import { db } from "../db-spec.js";

/** [passwordHash (argon2id string) or null, createdTs, deactivated] */
export type StoredUser = [passwordHash: string | null, createdTs: number, deactivated: boolean];

/** [displayName, accessTokenHash, createdTs, lastSeenTs, lastSeenIp] */
export type StoredDevice = [
  displayName: string | null,
  tokenHash: string | null,
  createdTs: number,
  lastSeenTs: number | null,
  lastSeenIp: string | null,
];

/** [keyId, keyJson, used] */
export type StoredFallbackKey = [keyId: string, keyJson: string, used: boolean];

/**
 * [userId, deviceId (null: the user's cross-signing keys changed), the user's previous device
 * change (the EDU's prev_id; null for the first and for cross-signing changes)]
 */
export type StoredDeviceListChange = [userId: string, deviceId: string | null, prevPosition: number | null];

export const ACCOUNTS_LAYOUT = {
  users: db<string, StoredUser>({
    name: "users",
    encoding: "msgpack",
    readInWrite: true,
    key: "userId (local users only)",
    value: "StoredUser tuple",
    writer: "accounts (register, register-user CLI)",
    why: "who exists, their password hash; uniqueness is checked inside the registering write",
  }),
  profiles: db<string, string>({
    name: "profiles",
    encoding: "msgpack",
    readInWrite: true,
    key: "userId (local users only)",
    value: "the profile object as JSON text (displayname, avatar_url, m.tz, custom keys)",
    writer: "accounts (register, PUT/DELETE /profile)",
    why: "GET /profile, federation query/profile, displayname/avatar_url of member events",
  }),
  devices: db<[string, string], StoredDevice>({
    name: "devices",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, deviceId]",
    value: "StoredDevice tuple; the device's one access token is stored by hash only",
    writer: "accounts (register, login, logout, device management, last-seen updates)",
    why: "GET /devices, the token ↔ device relationship, what logout deletes",
  }),
  accessTokens: db<string, [string, string]>({
    name: "access_tokens",
    encoding: "msgpack",
    readInWrite: false,
    key: "base64url SHA-256 of the access token",
    value: "[userId, deviceId]",
    writer: "accounts (with devices)",
    why: "authenticate a client request with one get; a leaked database does not leak tokens",
  }),
  deviceKeys: db<[string, string], string>({
    name: "device_keys",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, deviceId]",
    value: "the device_keys object as uploaded (JSON text), without cross-signing signatures",
    writer: "accounts (POST /keys/upload; removed with the device)",
    why: "/keys/query, federation /user/keys/query and /user/devices",
  }),
  oneTimeKeys: db<[string, string, string, number, string], string>({
    name: "one_time_keys",
    encoding: "msgpack",
    readInWrite: false,
    key: "[userId, deviceId, algorithm, uploadSeq, keyId]: upload order within a device and algorithm",
    value: "the key as uploaded (JSON text: a string or a signed key object)",
    writer: "accounts (upload, claim; serialised per device by a mutex, see one-time-keys.ts)",
    why: "claim hands out the oldest key first, each at most once",
  }),
  oneTimeKeyIds: db<[string, string, string, string], number>({
    name: "one_time_key_ids",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, deviceId, algorithm, keyId]",
    value: "uploadSeq of the key in one_time_keys",
    writer: "accounts (with one_time_keys)",
    why: "a re-uploaded key ID is recognised (same key: ignored; different key: 400)",
  }),
  fallbackKeys: db<[string, string, string], StoredFallbackKey>({
    name: "fallback_keys",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, deviceId, algorithm]",
    value: "StoredFallbackKey tuple",
    writer: "accounts (upload replaces, claim marks used)",
    why: "claim falls back to it when one-time keys run out; /sync unused fallback key types",
  }),
  crossSigningKeys: db<[string, string], string>({
    name: "cross_signing_keys",
    encoding: "msgpack",
    readInWrite: true,
    key: "[userId, usage: master | self_signing | user_signing]",
    value: "the CrossSigningKey object as uploaded (JSON text)",
    writer: "accounts (POST /keys/device_signing/upload)",
    why: "/keys/query, federation /user/keys/query and /user/devices, signature checks",
  }),
  keySignatures: db<[string, string, string, string], string>({
    name: "key_signatures",
    encoding: "msgpack",
    readInWrite: false,
    key: "[targetUserId, targetKeyId (device ID or base64 public key), signerUserId, signerKeyId]",
    value: "unpadded base64 signature",
    writer: "accounts (POST /keys/signatures/upload; removed with a device)",
    why: "cross-signing signatures merged into query results (others' only for the signer)",
  }),
  deviceListChanges: db<number, StoredDeviceListChange>({
    name: "device_list_changes",
    encoding: "msgpack",
    readInWrite: false,
    key: "device-list stream position (> 0, increasing in commit order)",
    value: "StoredDeviceListChange tuple",
    writer: "accounts (device added/removed/renamed, keys changed); EDU ingestion for remote users",
    why: "/keys/changes, /sync device_lists, outbound m.device_list_update / m.signing_key_update",
  }),
  deviceListLatest: db<string, number>({
    name: "device_list_latest",
    encoding: "msgpack",
    readInWrite: true,
    key: "userId",
    value: "the user's latest device-list stream position",
    writer: "accounts (with device_list_changes)",
    why: "stream_id of /user/devices and prev_id of the next m.device_list_update",
  }),
  accountsMeta: db<string, number>({
    name: "accounts_meta",
    encoding: "msgpack",
    readInWrite: true,
    key: '"device_list_pos" | "otk_seq"',
    value: "last allocated value of that counter",
    writer: "accounts (incremented inside the write that uses it)",
    why: "counters that survive restarts without touching the core counters",
  }),
} as const;
