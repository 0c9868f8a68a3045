/**
 * Canonical JSON beyond the appendix examples (test/vectors/appendix.test.ts): strictness per
 * room version (fragments v1-/v6-canonical-json.md), round-trip stability, code-point key order
 * with astral characters, escaping per the appendix grammar, and `canonicalJsonSize`.
 */
import { describe, expect, it } from "vitest";
import {
  CanonicalJsonError,
  canonicalJson,
  canonicalJsonBytes,
  canonicalJsonSize,
  findStrictViolation,
} from "../../../src/events/canonical-json.js";
import { computeEventId, contentHash } from "../../../src/events/hashes.js";
import { ALL_VERSIONS, V, messageEvent } from "./fixtures.js";

const TWO_53 = 2 ** 53;

describe("strict numbers", () => {
  const bad: [string, number][] = [
    ["a float", 1.5],
    ["2^53", TWO_53],
    ["-2^53", -TWO_53],
  ];
  it.each(bad)("strict mode rejects %s, non-strict encodes it", (_name, n) => {
    expect(() => canonicalJson({ a: n })).toThrow(CanonicalJsonError);
    expect(() => canonicalJsonSize({ a: n })).toThrow(CanonicalJsonError);
    expect(findStrictViolation({ x: [{ a: n }] })).toBe("x[0].a");
    expect(canonicalJson({ a: n }, false)).toBe(`{"a":${JSON.stringify(n)}}`);
  });

  it("names the offending value's path in the error", () => {
    let caught: unknown;
    try {
      canonicalJson({ ok: 1, a: [1, { b: 1.5 }] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CanonicalJsonError);
    expect((caught as CanonicalJsonError).path).toBe("a[1].b");
    expect((caught as CanonicalJsonError).message).toBe("Float not allowed at a[1].b");
    expect(() => canonicalJson({ x: 2 ** 60 })).toThrow("Integer out of range at x");
    expect(() => canonicalJsonSize({ y: [Infinity] }, false)).toThrow("Non-finite number at y[0]");
    expect(() => canonicalJson({ f: () => 1 })).toThrow("Unsupported value of type function at f");
  });

  it("accepts the range bounds ±(2^53−1) and encodes -0 as 0", () => {
    expect(canonicalJson({ a: TWO_53 - 1, b: -(TWO_53 - 1), c: -0 })).toBe(
      `{"a":${TWO_53 - 1},"b":${-(TWO_53 - 1)},"c":0}`,
    );
    expect(findStrictViolation({ a: TWO_53 - 1, b: -0 })).toBeNull();
  });

  it.each(ALL_VERSIONS)("room v%s hashes follow the version's strictness", (id) => {
    const v = V(id);
    for (const n of [1.5, TWO_53, -TWO_53]) {
      const ev = messageEvent(v, { content: { body: "x", n } });
      if (v.strictCanonicalJson) {
        expect(() => contentHash(ev, v)).toThrow(CanonicalJsonError);
      } else {
        expect(contentHash(ev, v)).toHaveLength(32);
      }
      // The reference hash covers the redacted form: a float in content is gone, at the top it is not.
      const top = messageEvent(v, { depth: n });
      if (v.strictCanonicalJson) expect(() => computeEventId({ ...top, event_id: "$a:b.c" }, v)).toThrow();
      else expect(computeEventId({ ...top, event_id: "$a:b.c" }, v)).toMatch(/^\$/);
    }
    expect(v.strictCanonicalJson).toBe(Number(id) >= 6);
  });
});

describe("round trip", () => {
  const values: unknown[] = [
    {},
    [],
    { z: [1, { b: null, a: true }], a: "x" },
    { "": "", "\u0000": "\u0001\u001f", tab: "\t\n\r\b\f", quote: '"\\/', uni: "é日本😀", del: "\u007f" },
    { nested: { deeper: { deepest: [[[]], {}, -1, 0, 9007199254740991] } } },
    { "\ud83d\ude00": 1, "\ufffd": 2, "\ue000": 3, a: 4 },
  ];
  it.each(values.map((v) => [JSON.stringify(v), v]))("canonicalise(parse(canonicalise(%s))) is stable", (_t, value) => {
    const once = canonicalJson(value);
    expect(canonicalJson(JSON.parse(once))).toBe(once);
    expect(JSON.parse(once)).toEqual(value);
  });
});

describe("key order by code point", () => {
  it("sorts astral characters after U+E000..U+FFFF (UTF-16 order would not)", () => {
    const obj = { "\ud83d\ude00": "astral", "\ufffd": "bmp-high", "\ue000": "private", "z": "ascii" };
    // Code points: z (7A) < U+E000 < U+FFFD < U+1F600.
    expect(canonicalJson(obj)).toBe('{"z":"ascii","\ue000":"private","\ufffd":"bmp-high","\ud83d\ude00":"astral"}');
    // JavaScript's default sort would put the surrogate pair (D83D…) before U+E000.
    expect(Object.keys(obj).sort()[1]).toBe("\ud83d\ude00");
  });

  it("orders keys sharing a prefix by the first differing code point, shorter first", () => {
    expect(canonicalJson({ "a😀": 1, "a\uffff": 2, a: 3, ab: 4 })).toBe('{"a":3,"ab":4,"a\uffff":2,"a😀":1}');
  });
});

describe("escaping (appendix grammar)", () => {
  it("escapes quote, backslash, the named controls and \\u00XX for the rest; nothing else", () => {
    expect(canonicalJson("\"\\\b\t\n\f\r")).toBe('"\\"\\\\\\b\\t\\n\\f\\r"');
    expect(canonicalJson("\u0000\u0007\u000b\u000e\u001f")).toBe('"\\u0000\\u0007\\u000b\\u000e\\u001f"');
    expect(canonicalJson("/\u007f\u2028é")).toBe('"/\u007f\u2028é"');
  });
});

describe("canonicalJsonSize", () => {
  const samples: unknown[] = [
    null,
    true,
    false,
    0,
    -0,
    -12345,
    "",
    "plain ascii",
    "needs \"escapes\"\n\u0001",
    "日本語😀é",
    "lone \ud800 surrogate",
    [],
    [1, "two", [3], { four: 4 }],
    { "日": 1, "😀": [null], e: {}, f: { g: "h\\" } },
    messageEvent(V("11")),
    { skip: undefined, keep: 1 },
  ];
  it.each(samples.map((s) => [JSON.stringify(s) ?? "undefined", s]))("equals the encoded byte length for %s", (_t, s) => {
    expect(canonicalJsonSize(s)).toBe(canonicalJsonBytes(s).length);
    expect(canonicalJsonSize(s, false)).toBe(canonicalJsonBytes(s, false).length);
  });

  it("measures non-strict numbers as they are encoded", () => {
    const v = { a: 1.5, b: 1e21, c: -TWO_53 };
    expect(canonicalJsonSize(v, false)).toBe(canonicalJsonBytes(v, false).length);
  });
});
