/**
 * The `auth_events` of a stored PDU, read from its JSON text without parsing the rest of it.
 *
 * The auth chain walk (auth-chain.ts) of send_join and /state starts from every state event of
 * the room: 100k members means 100k PDUs whose only interesting field is `auth_events`. A full
 * `JSON.parse` of each costs more than everything else in that walk together, so this scans
 * the top-level object, skipping values without building them, and parses only the
 * `auth_events` value. Servers that send canonical JSON put `auth_events` first (keys are
 * sorted), so the scan usually ends within the first few hundred bytes.
 *
 * Correctness does not rest on guessing: only a key of the TOP-LEVEL object counts (an
 * `auth_events` key inside `content` is skipped with the rest of `content`), strings are
 * skipped honouring escapes, escaped keys are decoded, and any text the scanner does not
 * understand returns `undefined` so the caller falls back to `JSON.parse`.
 */
import { referencedIds } from "../events/event.js";
import type { Pdu } from "../events/types.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/** The event IDs the PDU lists in `auth_events` (either reference format). */
export function authEventIdsOfJson(json: string): string[] {
  const refs = topLevelValue(json, "auth_events");
  if (refs !== undefined) {
    try {
      const parsed: unknown = JSON.parse(refs);
      if (Array.isArray(parsed)) return referencedIds(parsed as Pdu["auth_events"]);
    } catch {
      // fall through to the full parse
    }
  }
  return referencedIds((JSON.parse(json) as Pdu).auth_events ?? []);
}

/** The raw text of `key`'s value in the top-level object of `json`, or undefined. */
export function topLevelValue(json: string, key: string): string | undefined {
  let i = skipWs(json, 0);
  if (json.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipWs(json, i + 1);
  if (json.charCodeAt(i) === CLOSE_BRACE) return undefined;
  for (;;) {
    if (json.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = stringEnd(json, i);
    if (keyEnd < 0) return undefined;
    const raw = json.slice(i + 1, keyEnd);
    let name = raw;
    if (raw.includes("\\")) {
      try {
        name = JSON.parse(json.slice(i, keyEnd + 1)) as string;
      } catch {
        return undefined;
      }
    }
    i = skipWs(json, keyEnd + 1);
    if (json.charCodeAt(i) !== COLON) return undefined;
    const valueStart = skipWs(json, i + 1);
    const valueEnd = skipValue(json, valueStart);
    if (valueEnd < 0) return undefined;
    if (name === key) return json.slice(valueStart, valueEnd);
    i = skipWs(json, valueEnd);
    const c = json.charCodeAt(i);
    if (c === CLOSE_BRACE) return undefined;
    if (c !== COMMA) return undefined;
    i = skipWs(json, i + 1);
  }
}

function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** Index of the quote closing the string that opens at `start`, or -1. */
function stringEnd(s: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = s.indexOf('"', i);
    if (q < 0) return -1;
    // The quote is escaped when an odd number of backslashes precede it.
    let b = q - 1;
    while (b > start && s.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
    i = q + 1;
  }
}

/** Index just past the JSON value starting at `i`, or -1. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) {
    const end = stringEnd(s, i);
    return end < 0 ? -1 : end + 1;
  }
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === QUOTE) {
        j = stringEnd(s, j);
        if (j < 0) return -1;
      } else if (d === OPEN_BRACE || d === OPEN_BRACKET) {
        depth++;
      } else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // number, true, false, null
  let j = i;
  for (; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
  }
  return j === i ? -1 : j;
}
