/**
 * Request bodies: read with a hard size limit, then parse per the route's `BodyMode`.
 *
 * Spec: server-server API "API standards" and client-server API "API standards": POST/PUT
 * bodies are JSON objects, all JSON is UTF-8; "Common error codes": M_NOT_JSON for content
 * that is not JSON, M_BAD_JSON for JSON of the wrong shape, M_TOO_LARGE (413) for oversized
 * requests.
 */
import { isUtf8 } from "node:buffer";
import type { HttpResponse as UwsResponse } from "uWebSockets.js";
import { Errors } from "../errors.js";
import type { BodyMode } from "./request.js";
import { ABORTED, type Exchange } from "./respond.js";
import { requireJsonObject } from "../json.js";

export const EMPTY_BODY: Buffer = Buffer.alloc(0);

/**
 * The declared body length: a number for a valid `Content-Length`, `undefined` when absent,
 * `NaN` when malformed (answered with 400).
 */
export function declaredLength(contentLength: string): number | undefined {
  if (contentLength === "") return undefined;
  return /^\d{1,15}$/.test(contentLength) ? Number(contentLength) : Number.NaN;
}

/**
 * Buffer the body of `res`, at most `limit` bytes. Rejects with 413 M_TOO_LARGE as soon as
 * the declared `Content-Length` or the bytes received pass the limit, stops buffering, and
 * marks the exchange so the response closes the connection (the rest of the upload is never
 * read). With a declared length the body is copied into one buffer allocated up front.
 *
 * Must be called synchronously inside the uWS request callback (uWS requires `onData` to be
 * attached before the callback returns).
 */
export function readBody(res: UwsResponse, ex: Exchange, limit: number, declared: number | undefined): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    if (declared !== undefined && declared > limit) {
      ex.closeConnection = true;
      reject(tooLarge(limit));
      return;
    }
    let finished = false;
    let total = 0;
    const whole = declared !== undefined ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    ex.onAbort = () => {
      if (!finished) {
        finished = true;
        reject(ABORTED);
      }
    };
    res.onData((chunk, isLast) => {
      if (finished) return;
      const length = chunk.byteLength;
      total += length;
      if (total > limit || (whole !== undefined && total > whole.length)) {
        finished = true;
        ex.closeConnection = true;
        reject(tooLarge(limit));
        return;
      }
      // uWS neuters `chunk` when this callback returns: copy now.
      if (length > 0) {
        if (whole) whole.set(new Uint8Array(chunk), total - length);
        else chunks.push(Buffer.from(new Uint8Array(chunk)));
      }
      if (isLast) {
        finished = true;
        if (whole) resolve(total === whole.length ? whole : whole.subarray(0, total));
        else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
      }
    });
  });
}

function tooLarge(limit: number) {
  return Errors.tooLarge(`Request body exceeds the limit of ${limit} bytes`);
}

/** Parse `raw` per `mode`; throws the spec's errors. Pure: unit-testable without a socket. */
/** Does the JSON text nest objects/arrays deeper than `max`? (A byte scan; strings skipped.) */
export function nestingExceeds(raw: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

export function parseBody(raw: Buffer, mode: BodyMode): unknown {
  switch (mode) {
    case "none":
    case "raw":
      return undefined;
    case "json":
      return parseJson(raw);
    case "object-or-empty":
      if (raw.length === 0) return {};
      return requireJsonObject(parseJson(raw), "Request body");
    case "object":
      return requireJsonObject(parseJson(raw), "Request body");
  }
}

/**
 * Deepest nesting a JSON body may have. Nothing in Matrix comes near it; far deeper bodies
 * would overflow the recursive steps later on (canonical JSON, structured clone to the crypto
 * pool) and fail as 500s, and other homeservers' JSON stacks give up around a thousand levels.
 */
export const MAX_JSON_DEPTH = 512;

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) throw Errors.notJson("Request body is empty; expected JSON");
  // JSON.parse would silently turn invalid UTF-8 into U+FFFD; the spec requires UTF-8.
  if (!isUtf8(raw)) throw Errors.notJson("Request body is not valid UTF-8");
  if (raw.length > MAX_JSON_DEPTH && nestingExceeds(raw, MAX_JSON_DEPTH)) {
    throw Errors.badJson(`Request body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  try {
    return JSON.parse(raw.toString("utf8")) as unknown;
  } catch {
    throw Errors.notJson("Request body is not valid JSON");
  }
}
