/**
 * Request parsing shared by the room endpoints: path identifiers, the `{user_id, reason}` body
 * of invite/kick/ban/unban, optional `reason`, `via`/`server_name` query parameters, integer
 * query parameters. Malformed input is 400 with the code the spec's error tables use.
 */
import { Errors } from "../../errors.js";
import { isValidEventId, isValidRoomId, isValidServerName, isValidUserId, isHistoricalUserId } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import { isJsonObject } from "../../json.js";

export function roomIdParam(value: string | undefined): string {
  if (value === undefined || !isValidRoomId(value)) throw Errors.invalidParam("Invalid room ID");
  return value;
}

export function eventIdParam(value: string | undefined): string {
  if (value === undefined || !isValidEventId(value)) throw Errors.invalidParam("Invalid event ID");
  return value;
}

/** A non-empty path parameter (event type, txnId). */
export function nonEmptyParam(value: string | undefined, what: string): string {
  if (value === undefined || value === "") throw Errors.invalidParam(`Missing ${what}`);
  return value;
}

export function bodyObject(body: unknown): Record<string, unknown> {
  if (!isJsonObject(body)) throw Errors.notJson("Content must be a JSON object");
  return body as Record<string, unknown>;
}

/** Optional `reason` (joining.yaml, leaving.yaml, …): a string when present. */
export function reasonOf(body: Record<string, unknown>): string | undefined {
  const r = body["reason"];
  if (r === undefined || r === null) return undefined;
  if (typeof r !== "string") throw Errors.badJson("reason must be a string");
  return r;
}

/** `{reason}` as member-event content, or `{}`. */
export function reasonContent(body: Record<string, unknown>): JsonObject {
  const reason = reasonOf(body);
  return reason === undefined ? {} : { reason };
}

/**
 * `user_id` of invite/kick/ban/unban: required (M_MISSING_PARAM). A new event may only name a
 * user ID of the current grammar; an existing member with a historical ID can still be kicked
 * or banned.
 */
export function targetUserOf(body: Record<string, unknown>, allowHistorical: boolean): string {
  const u = body["user_id"];
  if (u === undefined) throw Errors.missingParam("Missing user_id");
  if (typeof u !== "string" || !(isValidUserId(u) || (allowHistorical && isHistoricalUserId(u)))) {
    throw Errors.invalidParam("user_id is not a valid user ID");
  }
  return u;
}

/**
 * Servers to try for a join or knock through another server: `via` (1.12) and the deprecated
 * `server_name` that older clients still send. Invalid names are dropped, order kept.
 */
export function viaServers(query: URLSearchParams): string[] {
  const out: string[] = [];
  for (const s of [...query.getAll("via"), ...query.getAll("server_name")]) {
    if (isValidServerName(s) && !out.includes(s)) out.push(s);
  }
  return out;
}

/** An optional non-negative integer query parameter with a default and a cap. */
export function intParam(query: URLSearchParams, name: string, dflt: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return dflt;
  if (!/^\d{1,9}$/.test(raw)) throw Errors.invalidParam(`${name} must be a non-negative integer`);
  return Math.min(Number(raw), max);
}
