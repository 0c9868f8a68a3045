import { describe, expect, it } from "vitest";
import { MatrixError } from "../../../src/errors.js";
import { json } from "../../../src/http/request.js";
import { Router, type RouteMatch } from "../../../src/http/router.js";

const ok = () => json({});

function router(cors = false): Router {
  return new Router({ cors, defaultBodyLimit: 1024 })
    .put("/_matrix/federation/v1/send/:txnId", ok)
    .get("/_matrix/federation/v1/event/:eventId", ok)
    .get("/_matrix/client/v3/rooms/:roomId/state/:eventType/:stateKey", ok)
    .get("/_matrix/client/v3/rooms/:roomId/state/:eventType", ok)
    .put("/_matrix/client/v3/rooms/:roomId/state/:eventType", ok)
    .get("/_matrix/client/v3/rooms/:roomId/members", ok)
    .get("/_matrix/client/v3/rooms/joined/members", ok)
    .post("/_matrix/client/v3/rooms/:roomId/leave", ok)
    .get("/", ok);
}

function found(m: RouteMatch): { pattern: string; params: Record<string, string> } {
  if (m.kind !== "found") throw new Error(`expected a route, got ${m.kind}`);
  return { pattern: m.route.pattern, params: m.params };
}

describe("Router", () => {
  it("extracts named parameters", () => {
    const m = found(router().match("PUT", "/_matrix/federation/v1/send/1234"));
    expect(m.pattern).toBe("/_matrix/federation/v1/send/:txnId");
    expect(m.params).toEqual({ txnId: "1234" });
  });

  it("percent-decodes each segment on its own, so %2F stays inside the parameter", () => {
    const m = found(router().match("GET", "/_matrix/client/v3/rooms/!a%3Ab.c/state/m.room.member/%40u%2Fx%3Ahs"));
    expect(m.params).toEqual({ roomId: "!a:b.c", eventType: "m.room.member", stateKey: "@u/x:hs" });
    expect(found(router().match("GET", "/_matrix/federation/v1/event/%24abc%2Fdef")).params).toEqual({ eventId: "$abc/def" });
  });

  it("keeps '+' literal in paths", () => {
    expect(found(router().match("PUT", "/_matrix/federation/v1/send/a+b")).params.txnId).toBe("a+b");
  });

  it("tolerates one trailing slash", () => {
    expect(found(router().match("PUT", "/_matrix/federation/v1/send/1/")).params).toEqual({ txnId: "1" });
    // An empty state key in the trailing position reaches the two-segment route.
    expect(found(router().match("GET", "/_matrix/client/v3/rooms/!r:h/state/m.room.name/")).pattern).toBe(
      "/_matrix/client/v3/rooms/:roomId/state/:eventType",
    );
    expect(found(router().match("GET", "/")).pattern).toBe("/");
  });

  it("prefers static segments and backtracks to parameters", () => {
    expect(found(router().match("GET", "/_matrix/client/v3/rooms/joined/members")).pattern).toBe("/_matrix/client/v3/rooms/joined/members");
    const m = found(router().match("POST", "/_matrix/client/v3/rooms/joined/leave"));
    expect(m.pattern).toBe("/_matrix/client/v3/rooms/:roomId/leave");
    expect(m.params).toEqual({ roomId: "joined" });
  });

  it("does not let a parameter match an empty segment", () => {
    expect(router().match("GET", "/_matrix/client/v3/rooms//members").kind).toBe("not-found");
  });

  it("reports unknown paths as not found", () => {
    expect(router().match("GET", "/_matrix/federation/v1/nope")).toEqual({ kind: "not-found", cors: false });
    expect(router().match("GET", "/_matrix/federation/v1/send")).toEqual({ kind: "not-found", cors: false });
    expect(router().match("GET", "/_matrix/federation/v1/send/1/extra").kind).toBe("not-found");
  });

  it("reports a known path with another method as 405 with Allow", () => {
    expect(router().match("GET", "/_matrix/federation/v1/send/1")).toEqual({ kind: "method-not-allowed", allow: "PUT", cors: false });
    expect(router().match("DELETE", "/_matrix/client/v3/rooms/!r:h/state/m.room.name")).toEqual({
      kind: "method-not-allowed",
      allow: "GET, PUT",
      cors: false,
    });
    // Methods are case-sensitive (RFC 9110 §9.1).
    expect(router().match("put", "/_matrix/federation/v1/send/1").kind).toBe("method-not-allowed");
  });

  it("rejects malformed percent-encoding with 400 M_INVALID_PARAM", () => {
    let thrown: unknown;
    try {
      router().match("GET", "/_matrix/federation/v1/event/%E0%A4%A");
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(MatrixError);
    expect((thrown as MatrixError).status).toBe(400);
    expect((thrown as MatrixError).errcode).toBe("M_INVALID_PARAM");
  });

  it("answers OPTIONS as a CORS preflight on CORS routers, for known and unknown paths", () => {
    const r = router(true);
    expect(r.match("OPTIONS", "/_matrix/federation/v1/send/1").kind).toBe("preflight");
    expect(r.match("OPTIONS", "/unknown/path").kind).toBe("preflight");
    expect(r.match("GET", "/unknown")).toEqual({ kind: "not-found", cors: true });
    expect(r.match("GET", "/_matrix/federation/v1/send/1")).toEqual({ kind: "method-not-allowed", allow: "OPTIONS, PUT", cors: true });
  });

  it("does not answer preflights on plain routers, except for CORS routes", () => {
    const r = router(false);
    expect(r.match("OPTIONS", "/_matrix/federation/v1/send/1")).toEqual({ kind: "method-not-allowed", allow: "PUT", cors: false });
    expect(r.match("OPTIONS", "/nope").kind).toBe("not-found");
    r.get("/.well-known/matrix/client", ok, { cors: true });
    expect(r.match("OPTIONS", "/.well-known/matrix/client").kind).toBe("preflight");
    const m = r.match("GET", "/.well-known/matrix/client");
    expect(m.kind === "found" && m.route.cors).toBe(true);
  });

  it("applies route defaults: body mode by method, router body limit, auth none", () => {
    const r = router();
    const put = r.match("PUT", "/_matrix/federation/v1/send/1");
    const get = r.match("GET", "/_matrix/federation/v1/event/$e");
    if (put.kind !== "found" || get.kind !== "found") throw new Error("routes missing");
    expect([put.route.body, put.route.bodyLimit, put.route.auth]).toEqual(["object", 1024, "none"]);
    expect(get.route.body).toBe("none");
    r.put("/limited/:x", ok, { bodyLimit: 10, auth: "federation", body: "raw" });
    const lim = r.match("PUT", "/limited/a");
    expect(lim.kind === "found" && [lim.route.bodyLimit, lim.route.auth, lim.route.body]).toEqual([10, "federation", "raw"]);
  });

  it("refuses duplicate routes and malformed patterns", () => {
    const r = router();
    expect(() => r.put("/_matrix/federation/v1/send/:other", ok)).toThrow(/twice/);
    expect(() => r.get("no-slash", ok)).toThrow();
    expect(() => r.get("/a/:x/:x", ok)).toThrow(/duplicate/);
    expect(() => r.add("get", "/a", ok)).toThrow(/upper-case/);
  });
});
