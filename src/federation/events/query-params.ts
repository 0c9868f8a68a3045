/**
 * Query-string parameters of the read endpoints, validated at the edge: a missing required
 * parameter is 400 M_MISSING_PARAM, a malformed one 400 M_INVALID_PARAM (client-server-api
 * "Common error codes"; the federation API uses the same catalogue).
 */
import { Errors } from "../../errors.js";

export function requiredParam(query: URLSearchParams, name: string): string {
  const v = query.get(name);
  if (v === null || v === "") throw Errors.missingParam(`Missing query parameter '${name}'`);
  return v;
}

/** An integer parameter (decimal, optional sign); `undefined` when absent. */
export function intParam(query: URLSearchParams, name: string, opts: { min?: number } = {}): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  return parseIntParam(raw, name, opts);
}

export function requiredIntParam(query: URLSearchParams, name: string, opts: { min?: number } = {}): number {
  return parseIntParam(requiredParam(query, name), name, opts);
}

function parseIntParam(raw: string, name: string, opts: { min?: number }): number {
  if (!/^-?\d{1,16}$/.test(raw)) throw Errors.invalidParam(`Query parameter '${name}' must be an integer`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || (opts.min !== undefined && n < opts.min)) {
    throw Errors.invalidParam(`Query parameter '${name}' is out of range`);
  }
  return n;
}

/** `true`/`false` (the spec's boolean query values); `undefined` when absent. */
export function boolParam(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw Errors.invalidParam(`Query parameter '${name}' must be true or false`);
}
