import { describe, expect, it } from "vitest";
import { globToRegExp, hostWithoutPort, isServerAllowed, parseServerAcl } from "../../../src/federation/acl.js";

describe("server ACL evaluation", () => {
  it("matches globs case-insensitively on the whole host", () => {
    expect(globToRegExp("*.evil.com").test("sub.EVIL.com")).toBe(true);
    expect(globToRegExp("evil.com").test("notevil.com")).toBe(false);
    expect(globToRegExp("ev?l.com").test("evxl.com")).toBe(true);
    expect(globToRegExp("ev?l.com").test("evl.com")).toBe(false);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
  });

  it("ignores ports, including on IPv6 literals", () => {
    expect(hostWithoutPort("evil.com:8448")).toBe("evil.com");
    expect(hostWithoutPort("[::1]:8448")).toBe("[::1]");
    expect(hostWithoutPort("1.2.3.4:5")).toBe("1.2.3.4");
    const acl = parseServerAcl({ allow: ["*"], deny: ["evil.com"] });
    expect(isServerAllowed(acl, "evil.com:1234")).toBe(false);
    expect(isServerAllowed(acl, "good.com:1234")).toBe(true);
  });

  it("applies the spec's order: IP literals, deny, allow, otherwise deny", () => {
    const acl = parseServerAcl({ allow: ["*.example.org", "127.0.0.1"], deny: ["bad.example.org"], allow_ip_literals: false });
    expect(isServerAllowed(acl, "127.0.0.1:8448")).toBe(false); // IP literal rule comes first
    expect(isServerAllowed(acl, "bad.example.org")).toBe(false);
    expect(isServerAllowed(acl, "good.example.org")).toBe(true);
    expect(isServerAllowed(acl, "other.net")).toBe(false);
    // allow_ip_literals missing or not a boolean → true
    expect(isServerAllowed(parseServerAcl({ allow: ["127.0.0.1"], allow_ip_literals: "no" }), "127.0.0.1:1")).toBe(true);
    // a missing allow list denies everyone
    expect(isServerAllowed(parseServerAcl({ deny: [] }), "anyone.org")).toBe(false);
  });
});
