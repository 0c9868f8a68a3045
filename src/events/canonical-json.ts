/**
 * Canonical JSON (appendices: "Canonical JSON"; room fragments v1- and v6-canonical-json).
 *
 * The shortest UTF-8 JSON encoding with object keys sorted by Unicode code point. String
 * escaping is exactly what `JSON.stringify` produces for a string (`\"`, `\\`, `\b \f \n \r \t`,
 * `\u00XX` in lower-case hex for the other control characters, everything else literal), which
 * is the grammar the appendix gives, so strings are delegated to it.
 *
 * Strict mode (room versions 6 and later) rejects what the appendix forbids: non-integers and
 * integers outside ±(2^53−1). `-0` is not an error: the appendix's own example encodes it as `0`.
 * Non-strict mode (v1–v5) MUST NOT enforce these limits, so it encodes any finite number the
 * way JSON.stringify does.
 */

export const MAX_SAFE_INT = Number.MAX_SAFE_INTEGER; // 2^53 - 1

export class CanonicalJsonError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${message} at ${path || "<root>"}`);
    this.name = "CanonicalJsonError";
    this.path = path;
  }
}

/** Encode `value` as canonical JSON text. Throws `CanonicalJsonError` on values JSON cannot hold. */
export function canonicalJson(value: unknown, strict = true): string {
  return encodeOrDescribe(value, strict);
}

/** Canonical JSON as UTF-8 bytes, the form that is hashed and signed. */
export function canonicalJsonBytes(value: unknown, strict = true): Buffer {
  return Buffer.from(canonicalJson(value, strict), "utf8");
}

/** Whether `value` satisfies the strict number rules; returns the offending path or null. */
export function findStrictViolation(value: unknown, path = ""): string | null {
  if (typeof value === "number") return isStrictNumber(value) ? null : path || "<root>";
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findStrictViolation(value[i], `${path}[${i}]`);
      if (bad !== null) return bad;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      const bad = findStrictViolation((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (bad !== null) return bad;
    }
  }
  return null;
}

/**
 * The byte length of `canonicalJsonBytes(value, strict)`, computed without building the text
 * or sorting keys (order does not change the length). The PDU format check uses it for the
 * 64 KiB event limit on every inbound event, where serialising only to measure would double
 * the JSON work. Throws `CanonicalJsonError` exactly where `canonicalJson` would.
 */
export function canonicalJsonSize(value: unknown, strict = true): number {
  const size = measure(value, strict);
  if (size < 0) throw describeFailure(value, strict, "") ?? new CanonicalJsonError("", "Not encodable");
  return size;
}

/** Strings that need no escaping and are pure ASCII measure as their length plus quotes. */
const NEEDS_CARE = /[^\x20-\x21\x23-\x5b\x5d-\x7e]/;

function stringSize(s: string): number {
  if (!NEEDS_CARE.test(s)) return s.length + 2;
  return Buffer.byteLength(JSON.stringify(s), "utf8");
}

/** Canonical byte length, or -1 when `value` cannot be encoded (so no exception on the hot path). */
function measure(value: unknown, strict: boolean): number {
  switch (typeof value) {
    case "string":
      return stringSize(value);
    case "boolean":
      return value ? 4 : 5;
    case "number":
      if (!Number.isFinite(value) || (strict && !isStrictNumber(value))) return -1;
      return Object.is(value, -0) ? 1 : JSON.stringify(value).length;
    case "object": {
      if (value === null) return 4;
      if (Array.isArray(value)) {
        let size = 2 + (value.length > 0 ? value.length - 1 : 0);
        for (let i = 0; i < value.length; i++) {
          const n = measure(value[i], strict);
          if (n < 0) return -1;
          size += n;
        }
        return size;
      }
      let size = 2;
      let members = 0;
      const obj = value as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const v = obj[key];
        if (v === undefined) continue;
        const n = measure(v, strict);
        if (n < 0) return -1;
        size += stringSize(key) + 1 + n;
        members++;
      }
      return members > 0 ? size + members - 1 : size;
    }
    default:
      return -1;
  }
}

function isStrictNumber(n: number): boolean {
  return Number.isInteger(n) && n >= -MAX_SAFE_INT && n <= MAX_SAFE_INT;
}

/**
 * The hot path builds no error paths (a template string per nested value costs more than the
 * encoding itself); when it fails, `describeFailure` walks again to name the offending value.
 */
function encode(value: unknown, strict: boolean): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value) || (strict && !isStrictNumber(value))) throw ENCODE_FAILED;
      return Object.is(value, -0) ? "0" : JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          out += encode(value[i], strict);
        }
        return out + "]";
      }
      const obj = value as Record<string, unknown>;
      const keys = sortedKeys(obj);
      let out = "{";
      let first = true;
      for (const key of keys) {
        const v = obj[key];
        if (v === undefined) continue; // like JSON.stringify: absent, not null
        if (!first) out += ",";
        first = false;
        out += JSON.stringify(key) + ":" + encode(v, strict);
      }
      return out + "}";
    }
    default:
      throw ENCODE_FAILED;
  }
}

const ENCODE_FAILED: unique symbol = Symbol("canonical JSON encode failed");

function encodeOrDescribe(value: unknown, strict: boolean): string {
  try {
    return encode(value, strict);
  } catch (e) {
    if (e === ENCODE_FAILED) throw describeFailure(value, strict, "") ?? new CanonicalJsonError("", "Not encodable");
    throw e;
  }
}

/** The error for the first value `encode` refuses, with its path; null if there is none. */
function describeFailure(value: unknown, strict: boolean, path: string): CanonicalJsonError | null {
  switch (typeof value) {
    case "string":
    case "boolean":
      return null;
    case "number":
      if (!Number.isFinite(value)) return new CanonicalJsonError(path, "Non-finite number");
      if (strict && !isStrictNumber(value)) {
        return new CanonicalJsonError(path, Number.isInteger(value) ? "Integer out of range" : "Float not allowed");
      }
      return null;
    case "object": {
      if (value === null) return null;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const bad = describeFailure(value[i], strict, `${path}[${i}]`);
          if (bad) return bad;
        }
        return null;
      }
      const obj = value as Record<string, unknown>;
      for (const key of sortedKeys(obj)) {
        const v = obj[key];
        if (v === undefined) continue;
        const bad = describeFailure(v, strict, path ? `${path}.${key}` : key);
        if (bad) return bad;
      }
      return null;
    }
    case "bigint":
      return new CanonicalJsonError(path, "BigInt not supported");
    default:
      return new CanonicalJsonError(path, `Unsupported value of type ${typeof value}`);
  }
}

/**
 * Keys sorted by code point. JavaScript's default sort compares UTF-16 code units, which
 * disagrees with code point order only when a surrogate pair meets a character in
 * U+E000..U+FFFF, so the slower comparison runs only for keys holding surrogates.
 */
export function sortedKeys(obj: Record<string, unknown>): string[] {
  const keys = Object.keys(obj);
  if (keys.length < 2) return keys;
  keys.sort();
  for (const k of keys) {
    if (/[\ud800-\udfff]/.test(k)) return keys.sort(compareCodePoints);
  }
  return keys;
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}
