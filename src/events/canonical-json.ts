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
  return encode(value, strict, "");
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

function isStrictNumber(n: number): boolean {
  return Number.isInteger(n) && n >= -MAX_SAFE_INT && n <= MAX_SAFE_INT;
}

function encode(value: unknown, strict: boolean, path: string): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, "Non-finite number");
      if (strict && !isStrictNumber(value)) {
        throw new CanonicalJsonError(path, Number.isInteger(value) ? "Integer out of range" : "Float not allowed");
      }
      return Object.is(value, -0) ? "0" : JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          out += encode(value[i], strict, `${path}[${i}]`);
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
        out += JSON.stringify(key) + ":" + encode(v, strict, path ? `${path}.${key}` : key);
      }
      return out + "}";
    }
    case "bigint":
      throw new CanonicalJsonError(path, "BigInt not supported");
    default:
      throw new CanonicalJsonError(path, `Unsupported value of type ${typeof value}`);
  }
}

/**
 * Keys sorted by code point. JavaScript's default sort compares UTF-16 code units, which
 * disagrees with code point order only when a surrogate pair meets a character in
 * U+E000..U+FFFF, so the slower comparison runs only for keys holding surrogates.
 */
function sortedKeys(obj: Record<string, unknown>): string[] {
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
