/**
 * Checks on untrusted JSON shared by every edge that reads it (request bodies, remote answers,
 * EDUs, event content).
 */
import { Errors } from "./errors.js";
import type { JsonObject } from "./events/types.js";

/** A JSON object: not null and not an array, which `typeof … === "object"` alone lets through. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` as an object, or 400 M_BAD_JSON naming `where` (a request body or a part of one). */
export function requireJsonObject(value: unknown, where: string): JsonObject {
  if (!isJsonObject(value)) throw Errors.badJson(`${where} must be a JSON object`);
  return value;
}
