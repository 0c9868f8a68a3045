/**
 * The `Authorization: X-Matrix …` header, both ways (server-server API "Request
 * Authentication").
 *
 * Parsing follows RFC 9110 §11.4 `credentials = auth-scheme [ 1*SP #auth-param ]` with
 * `auth-param = token BWS "=" BWS ( token / quoted-string )` (§5.6.2, §5.6.4):
 * - the scheme is case-insensitive (§11.1) and followed by one or more spaces;
 * - parameters are comma-separated with optional spaces/tabs around the commas, names are
 *   case-insensitive and in any order, unknown names are ignored;
 * - values are a token or a quoted-string whose backslash pairs are unescaped;
 * - "for compatibility with older servers, the recipient should allow colons to be included
 *   in values without requiring the value to be enclosed in quotes": we go a little further and
 *   accept any visible character but `"`, `,` and `\` unquoted, because signatures are base64
 *   (`/`, `+`) and some senders never quoted them. Nothing that is valid gets misread by this.
 * - the signature parameter is `sig` in the spec's example and Python code and `signature` in
 *   its prose; both are accepted (FEDERATION-CHECKLIST §4).
 *
 * A request normally carries one X-Matrix credential, but the front end joins repeated header
 * lines with ", " (RFC 9110 §5.3), so the parser reads a comma-separated list of credentials:
 * at each list element, `token =` continues the current credential's parameters and a bare
 * `token` (followed by a space or the end) starts a new credential.
 *
 * Building follows the compatibility advice for senders: one space after `X-Matrix`, lower-case
 * names, no whitespace around commas, quoted values without backslashes.
 */

/** One parsed `X-Matrix` credential. `destination` is optional for older senders (spec, v1.3). */
export interface XMatrixCredentials {
  readonly origin: string;
  readonly destination: string | undefined;
  readonly key: string;
  readonly sig: string;
}

/** One credential of any scheme, as parsed. Parameter names are lower-cased. */
export interface AuthCredentials {
  /** As sent; compare case-insensitively. */
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
}

export class AuthHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthHeaderError";
  }
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** Unquoted value characters: VCHAR except DQUOTE, comma and backslash (see above). */
const UNQUOTED_VALUE_CHAR = /[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]/;

function isTchar(c: string | undefined): boolean {
  return c !== undefined && TCHAR.test(c);
}

function isWs(c: string | undefined): boolean {
  return c === " " || c === "\t";
}

/**
 * Parse a whole `Authorization` field value into its credentials (usually one). Throws
 * `AuthHeaderError` on malformed syntax or a parameter repeated within one credential
 * (RFC 9110 §11.2: each parameter name occurs only once per credentials).
 */
export function parseAuthorization(value: string): AuthCredentials[] {
  const out: AuthCredentials[] = [];
  let i = 0;
  const n = value.length;
  const skipWs = (): void => {
    while (isWs(value[i])) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (isTchar(value[i])) i++;
    return value.slice(start, i);
  };

  let current: { scheme: string; params: Map<string, string> } | undefined;
  skipWs();
  while (i < n) {
    // At a list element: either a new credential (scheme) or a parameter of the current one.
    if (value[i] === ",") {
      i++;
      skipWs();
      continue;
    }
    const tokenStart = i;
    const token = readToken();
    if (token === "") throw new AuthHeaderError(`unexpected character at offset ${i}`);
    const afterToken = i;
    skipWs();
    if (value[i] === "=" && current !== undefined) {
      i++;
      skipWs();
      const paramValue = readValue();
      const name = token.toLowerCase();
      if (current.params.has(name)) throw new AuthHeaderError(`parameter ${name} repeated`);
      current.params.set(name, paramValue);
      skipWs();
      if (i < n && value[i] !== ",") throw new AuthHeaderError(`expected ',' at offset ${i}`);
      continue;
    }
    // A new credential: the scheme must be followed by at least one space, or end the value.
    if (afterToken < n && !isWs(value[afterToken]) && value[afterToken] !== ",") {
      throw new AuthHeaderError(`malformed credentials at offset ${tokenStart}`);
    }
    current = { scheme: token, params: new Map() };
    out.push(current);
  }
  return out;

  function readValue(): string {
    if (value[i] === '"') {
      i++;
      let text = "";
      for (;;) {
        const c = value[i];
        if (c === undefined) throw new AuthHeaderError("unterminated quoted-string");
        if (c === '"') {
          i++;
          return text;
        }
        if (c === "\\") {
          const next = value[i + 1];
          if (next === undefined) throw new AuthHeaderError("unterminated quoted-string");
          text += next;
          i += 2;
          continue;
        }
        // qdtext: HTAB / SP / VCHAR except DQUOTE and backslash / obs-text.
        const code = c.charCodeAt(0);
        if (code < 0x20 && c !== "\t") throw new AuthHeaderError("control character in quoted-string");
        if (code === 0x7f) throw new AuthHeaderError("control character in quoted-string");
        text += c;
        i++;
      }
    }
    const start = i;
    while (i < n && UNQUOTED_VALUE_CHAR.test(value[i]!)) i++;
    if (i === start) throw new AuthHeaderError(`empty parameter value at offset ${start}`);
    return value.slice(start, i);
  }
}

/**
 * The X-Matrix credentials in an `Authorization` field value, in order. Other schemes are
 * skipped. Throws `AuthHeaderError` when the value is malformed or an X-Matrix credential lacks
 * `origin`, `key` or the signature.
 */
export function parseXMatrix(value: string): XMatrixCredentials[] {
  const out: XMatrixCredentials[] = [];
  for (const cred of parseAuthorization(value)) {
    if (cred.scheme.toLowerCase() !== "x-matrix") continue;
    const p = cred.params;
    const origin = p.get("origin");
    const key = p.get("key");
    const sig = p.get("sig") ?? p.get("signature");
    if (origin === undefined || origin === "") throw new AuthHeaderError("X-Matrix credentials without origin");
    if (key === undefined || key === "") throw new AuthHeaderError("X-Matrix credentials without key");
    if (sig === undefined || sig === "") throw new AuthHeaderError("X-Matrix credentials without sig");
    out.push({ origin, destination: p.get("destination"), key, sig });
  }
  return out;
}

/** Characters a value may hold so it can be quoted without any backslash. */
const SAFE_QUOTED = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * `X-Matrix origin="…",destination="…",key="…",sig="…"`, the exact shape of the spec's example.
 * Server names, key IDs and unpadded base64 never need escaping; anything that would is a bug
 * upstream, so it throws rather than emit a backslash older servers may not read.
 */
export function buildXMatrix(c: { origin: string; destination: string; key: string; sig: string }): string {
  for (const [name, v] of [
    ["origin", c.origin],
    ["destination", c.destination],
    ["key", c.key],
    ["sig", c.sig],
  ] as const) {
    if (!SAFE_QUOTED.test(v)) throw new Error(`X-Matrix ${name} holds a character that would need escaping`);
  }
  return `X-Matrix origin="${c.origin}",destination="${c.destination}",key="${c.key}",sig="${c.sig}"`;
}
