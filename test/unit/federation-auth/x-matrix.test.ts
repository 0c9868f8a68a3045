import { describe, expect, it } from "vitest";
import { AuthHeaderError, buildXMatrix, parseAuthorization, parseXMatrix } from "../../../src/federation/auth/x-matrix.js";

const SPEC_EXAMPLE =
  'X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF..."';

describe("parseXMatrix", () => {
  it("parses the spec's example header", () => {
    expect(parseXMatrix(SPEC_EXAMPLE)).toEqual([
      { origin: "origin.hs.example.com", destination: "destination.hs.example.com", key: "ed25519:key1", sig: "ABCDEF..." },
    ]);
  });

  it("treats the scheme and parameter names case-insensitively, in any order", () => {
    const [c] = parseXMatrix('x-matrix SIG="s1",Key="ed25519:a",DESTINATION="d.example",Origin="o.example"');
    expect(c).toEqual({ origin: "o.example", destination: "d.example", key: "ed25519:a", sig: "s1" });
  });

  it("allows several spaces after the scheme and spaces/tabs around commas and '='", () => {
    const [c] = parseXMatrix('X-Matrix    origin="o.example" ,\tkey = "ed25519:a" \t,  sig="s"  ');
    expect(c).toMatchObject({ origin: "o.example", key: "ed25519:a", sig: "s" });
  });

  it("accepts unquoted token values, including colons (older senders)", () => {
    const [c] = parseXMatrix("X-Matrix origin=o.example:8448,destination=d.example,key=ed25519:a_B1,sig=AbC+/9");
    expect(c).toEqual({ origin: "o.example:8448", destination: "d.example", key: "ed25519:a_B1", sig: "AbC+/9" });
  });

  it("unescapes backslash pairs in quoted values", () => {
    const [c] = parseXMatrix('X-Matrix origin="o\\.ex\\"ample",key="ed25519:\\a",sig="s\\\\x"');
    expect(c).toMatchObject({ origin: 'o.ex"ample', key: "ed25519:a", sig: "s\\x" });
  });

  it("keeps commas and spaces that are inside quoted values", () => {
    const [c] = parseXMatrix('X-Matrix origin="o.example",key="ed25519:a",sig="a, b",note="x=1, y"');
    expect(c!.sig).toBe("a, b");
  });

  it("ignores unknown parameters", () => {
    const [c] = parseXMatrix('X-Matrix origin="o.example",foo="bar",key="ed25519:a",baz=qux,sig="s"');
    expect(c).toEqual({ origin: "o.example", destination: undefined, key: "ed25519:a", sig: "s" });
  });

  it("accepts `signature` as the signature parameter (the spec's prose name)", () => {
    const [c] = parseXMatrix('X-Matrix origin="o.example",key="ed25519:a",signature="s2"');
    expect(c!.sig).toBe("s2");
  });

  it("leaves destination undefined when an older sender omits it", () => {
    expect(parseXMatrix('X-Matrix origin="o.example",key="ed25519:a",sig="s"')[0]!.destination).toBeUndefined();
  });

  it("reads several credentials from repeated headers joined with ', '", () => {
    const joined = 'X-Matrix origin="o.example",key="ed25519:a",sig="s1", X-Matrix origin="o.example",key="ed25519:b",sig="s2"';
    expect(parseXMatrix(joined).map((c) => c.key)).toEqual(["ed25519:a", "ed25519:b"]);
  });

  it("skips credentials of other schemes", () => {
    const value = 'Bearer abc.def, X-Matrix origin="o.example",key="ed25519:a",sig="s"';
    expect(parseXMatrix(value)).toHaveLength(1);
    expect(parseXMatrix("Bearer abcdef")).toEqual([]);
  });

  it.each([
    ['X-Matrix origin="o.example",key="ed25519:a"', /without sig/],
    ['X-Matrix key="ed25519:a",sig="s"', /without origin/],
    ['X-Matrix origin="o.example",sig="s"', /without key/],
    ['X-Matrix origin="o.example,key="ed25519:a",sig="s"', /./],
    ['X-Matrix origin="o.example",origin="p.example",key="ed25519:a",sig="s"', /repeated/],
    ['X-Matrix origin="o.example",key="ed25519:a",sig=', /empty parameter value/],
    ['X-Matrix origin="o.example" key="ed25519:a",sig="s"', /expected ','/],
    ['X-Matrixorigin="o.example"', /malformed/],
    ['X-Matrix origin="o\u0001",key="ed25519:a",sig="s"', /control character/],
  ])("rejects %s", (value, message) => {
    expect(() => parseXMatrix(value)).toThrow(AuthHeaderError);
    expect(() => parseXMatrix(value)).toThrow(message);
  });
});

describe("parseAuthorization", () => {
  it("lower-cases parameter names and keeps the scheme as sent", () => {
    const [c] = parseAuthorization('X-Matrix ORIGIN="o"');
    expect(c!.scheme).toBe("X-Matrix");
    expect([...c!.params]).toEqual([["origin", "o"]]);
  });

  it("returns nothing for an empty value", () => {
    expect(parseAuthorization("   ")).toEqual([]);
  });
});

describe("buildXMatrix", () => {
  it("produces exactly the spec's example shape", () => {
    expect(buildXMatrix({ origin: "origin.hs.example.com", destination: "destination.hs.example.com", key: "ed25519:key1", sig: "ABCDEF..." })).toBe(
      SPEC_EXAMPLE,
    );
  });

  it("round-trips through the parser, IPv6 literals and ports included", () => {
    const c = { origin: "[::1]:8448", destination: "127.0.0.1:18448", key: "ed25519:a_1", sig: "x+y/z" };
    expect(parseXMatrix(buildXMatrix(c))).toEqual([c]);
  });

  it("refuses values that would need a backslash", () => {
    expect(() => buildXMatrix({ origin: 'o"x', destination: "d", key: "ed25519:a", sig: "s" })).toThrow(/escaping/);
    expect(() => buildXMatrix({ origin: "o", destination: "d", key: "ed25519:a", sig: "s\\" })).toThrow(/escaping/);
  });
});
