/**
 * Profiles of local users (client-server API "Profiles", profile.yaml, v1.16 rules):
 * `displayname`, `avatar_url`, `m.tz` and custom keys in the Common Namespaced Identifier
 * Grammar; the whole profile, serialised, stays under 64 KiB (M_PROFILE_TOO_LARGE) and a key
 * is at most 255 bytes (M_KEY_TOO_LARGE).
 *
 * Values we check (the spec lets servers validate): `displayname` and `m.tz` are strings,
 * `avatar_url` an `mxc://` URI; custom keys take any JSON value, `null` included (stored, not
 * treated as a deletion, as the spec recommends). Deletion is `DELETE`.
 */
import { Errors } from "../errors.js";
import { canonicalJsonSize } from "../events/canonical-json.js";
import type { JsonObject, JsonValue } from "../events/types.js";
import type { Store } from "../storage/store.js";
import type { WriteBatch } from "../storage/write-batch.js";

export const PROFILE_MAX_BYTES = 64 * 1024;
export const PROFILE_KEY_MAX_BYTES = 255;
/** Display names longer than this are refused; member events carry them into every room. */
export const DISPLAYNAME_MAX_CHARS = 256;

const KEY_NAME = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
const MXC_URI = /^mxc:\/\/[^/\s]+\/[A-Za-z0-9_-]+$/;

/** Throws 400 for a key name outside the grammar or over 255 bytes. */
export function checkProfileKey(keyName: string): void {
  if (Buffer.byteLength(keyName, "utf8") > PROFILE_KEY_MAX_BYTES) throw Errors.keyTooLarge();
  if (!KEY_NAME.test(keyName)) throw Errors.invalidParam("Invalid profile key");
}

/** Throws 400 M_INVALID_PARAM when `value` is not acceptable for `keyName`. */
export function checkProfileValue(keyName: string, value: JsonValue): void {
  switch (keyName) {
    case "displayname":
      if (typeof value !== "string") throw Errors.invalidParam("displayname must be a string");
      if (value.length > DISPLAYNAME_MAX_CHARS) throw Errors.invalidParam(`displayname must be at most ${DISPLAYNAME_MAX_CHARS} characters`);
      return;
    case "avatar_url":
      if (typeof value !== "string" || !MXC_URI.test(value)) throw Errors.invalidParam("avatar_url must be an mxc:// URI");
      return;
    case "m.tz":
      if (typeof value !== "string") throw Errors.invalidParam("m.tz must be a string");
      return;
  }
}

export class ProfileStore {
  constructor(private readonly store: Store) {}

  /** The stored profile, or `undefined` when the user has none (unknown user). */
  get(userId: string): JsonObject | undefined {
    const text = this.store.dbs.profiles.get(userId);
    return text === undefined ? undefined : (JSON.parse(text) as JsonObject);
  }

  /** The fields member events carry (client-server API "Events on Change of Profile Information"). */
  memberFields(userId: string): { displayname?: string; avatar_url?: string } {
    const p = this.get(userId);
    const out: { displayname?: string; avatar_url?: string } = {};
    if (typeof p?.displayname === "string") out.displayname = p.displayname;
    if (typeof p?.avatar_url === "string") out.avatar_url = p.avatar_url;
    return out;
  }

  /** Initial profile of a new account. */
  create(w: WriteBatch, userId: string, profile: JsonObject): void {
    w.put("profiles", userId, JSON.stringify(profile));
  }

  /**
   * Set one field (validated by the caller with checkProfileKey/checkProfileValue); throws
   * M_PROFILE_TOO_LARGE when the result would pass 64 KiB. Returns whether the value changed.
   */
  set(w: WriteBatch, userId: string, keyName: string, value: JsonValue): boolean {
    const profile = this.read(w, userId);
    const before = profile[keyName];
    if (before !== undefined && JSON.stringify(before) === JSON.stringify(value)) return false;
    const next: JsonObject = { ...profile, [keyName]: value };
    if (canonicalJsonSize(next, false) >= PROFILE_MAX_BYTES) throw Errors.profileTooLarge();
    w.put("profiles", userId, JSON.stringify(next));
    return true;
  }

  /** Remove one field; returns whether it existed. */
  remove(w: WriteBatch, userId: string, keyName: string): boolean {
    const profile = this.read(w, userId);
    if (!Object.hasOwn(profile, keyName)) return false;
    const next: JsonObject = { ...profile };
    delete next[keyName];
    w.put("profiles", userId, JSON.stringify(next));
    return true;
  }

  private read(w: WriteBatch, userId: string): JsonObject {
    const text = w.read("profiles", userId);
    return text === undefined ? {} : (JSON.parse(text) as JsonObject);
  }
}
