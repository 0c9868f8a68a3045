import { describe, expect, it } from "vitest";
import { authEventIdsOfJson, topLevelValue } from "../../../src/rooms/auth-events-text.js";

describe("auth_events from PDU JSON text", () => {
  it("reads the top-level list in either reference format", () => {
    expect(authEventIdsOfJson(JSON.stringify({ auth_events: ["$a", "$b"], content: {}, type: "m.room.member" }))).toEqual(["$a", "$b"]);
    const v1 = { type: "x", auth_events: [["$a:x.org", { sha256: "h" }], ["$b:x.org", { sha256: "i" }]] };
    expect(authEventIdsOfJson(JSON.stringify(v1))).toEqual(["$a:x.org", "$b:x.org"]);
  });

  it("ignores an auth_events key nested in content, wherever it appears", () => {
    const before = JSON.stringify({ content: { auth_events: ["$fake"], x: [1, { y: "]}" }] }, auth_events: ["$real"] });
    expect(authEventIdsOfJson(before)).toEqual(["$real"]);
    const after = JSON.stringify({ auth_events: ["$real"], content: { auth_events: ["$fake"] } });
    expect(authEventIdsOfJson(after)).toEqual(["$real"]);
  });

  it("skips strings with escaped quotes and brackets, whitespace, numbers and literals", () => {
    const text = `{ "content" : { "body": "a \\"quoted\\" ] } [ \\\\" } , "depth" : 12, "flag": true, "n": null,\n "auth_events" : [ "$x" ] }`;
    expect(JSON.parse(text).auth_events).toEqual(["$x"]);
    expect(authEventIdsOfJson(text)).toEqual(["$x"]);
  });

  it("decodes escaped keys", () => {
    expect(authEventIdsOfJson(`{"auth\\u005fevents":["$e"],"content":{}}`)).toEqual(["$e"]);
    expect(topLevelValue(`{"a\\"b":1,"k":2}`, 'a"b')).toBe("1");
  });

  it("falls back to a full parse when the text is not what the scanner expects, and agrees with it", () => {
    expect(topLevelValue(`[1,2]`, "auth_events")).toBeUndefined();
    expect(topLevelValue(`{"a":}`, "auth_events")).toBeUndefined();
    expect(authEventIdsOfJson(`{"type":"x","auth_events":[]}`)).toEqual([]);
    expect(() => authEventIdsOfJson(`{"broken":`)).toThrow();
  });
});
