import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Errors } from "../../../src/errors.js";
import { startListener, type Listener } from "../../../src/http/listener.js";
import { bytes, json } from "../../../src/http/request.js";
import { Router } from "../../../src/http/router.js";
import { setLogLevel } from "../../../src/log.js";
import { request } from "../../helpers/http.js";

describe("responses, errors, CORS and auth hooks over real HTTP", () => {
  let plain: Listener;
  let cors: Listener;
  let p: string;
  let c: string;

  beforeAll(async () => {
    setLogLevel("fatal"); // the 500 cases log errors on purpose
    const federation = new Router({ cors: false, defaultBodyLimit: 1024 })
      .get("/matrix-error", () => {
        throw Errors.forbidden("no entry", { extra_field: 1 });
      })
      .get("/async-matrix-error", async () => {
        await Promise.resolve();
        throw Errors.notFound("gone");
      })
      .get("/rate-limited", () => {
        throw Errors.limitExceeded(2500);
      })
      .get("/crash", () => {
        throw new Error("secret internal detail");
      })
      .get("/unserialisable", () => json({ n: 10n }))
      .get("/v1-shape", () => json([200, { ok: true }]))
      .get("/bytes", () => bytes('{"pre":"serialised"}', "application/json"))
      .get("/echo/:a/:b", (req) =>
        json({
          params: req.params,
          ver: req.query.getAll("ver"),
          header: req.headers["x-custom"],
          uri: req.uri,
          method: req.method,
          remote: req.remoteAddress,
        }),
      )
      .put("/fed/:id", (req) => json({ auth: req.auth, body: req.body }), { auth: "federation" })
      .get("/client-only", (req) => json({ auth: req.auth }), { auth: "client" })
      .get("/client-optional", (req) => json({ auth: req.auth ?? null }), { auth: "client-optional" });
    const client = new Router({ cors: true, defaultBodyLimit: 1024 }).get("/thing", () => json({ ok: 1 }));
    plain = await startListener(federation, { name: "plain", host: "127.0.0.1", port: 0 });
    cors = await startListener(client, { name: "cors", host: "127.0.0.1", port: 0 });
    p = `http://127.0.0.1:${plain.port}`;
    c = `http://127.0.0.1:${cors.port}`;
  });

  afterAll(async () => {
    await Promise.all([plain.close(0), cors.close(0)]);
  });

  it("maps a MatrixError to its status and the standard error body", async () => {
    const res = await request(`${p}/matrix-error`);
    expect(res.status).toBe(403);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.json()).toEqual({ errcode: "M_FORBIDDEN", error: "no entry", extra_field: 1 });
    const later = await request(`${p}/async-matrix-error`);
    expect([later.status, later.json()]).toEqual([404, { errcode: "M_NOT_FOUND", error: "gone" }]);
  });

  it("adds Retry-After to 429 responses", async () => {
    const res = await request(`${p}/rate-limited`);
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("3");
    expect(res.json()).toMatchObject({ errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 2500 });
  });

  it("turns unexpected exceptions into 500 M_UNKNOWN without leaking internals", async () => {
    const res = await request(`${p}/crash`);
    expect(res.status).toBe(500);
    expect(res.json()).toMatchObject({ errcode: "M_UNKNOWN" });
    expect(res.text).not.toContain("secret");
    const bad = await request(`${p}/unserialisable`);
    expect([bad.status, bad.json<{ errcode: string }>().errcode]).toEqual([500, "M_UNKNOWN"]);
  });

  it("serialises arrays (v1 shapes) and passes pre-serialised bytes through", async () => {
    expect((await request(`${p}/v1-shape`)).json()).toEqual([200, { ok: true }]);
    const raw = await request(`${p}/bytes`);
    expect(raw.headers["content-type"]).toBe("application/json");
    expect(raw.text).toBe('{"pre":"serialised"}');
  });

  it("gives handlers decoded params, repeated query values, lower-case headers and the raw uri", async () => {
    const res = await request(`${p}/echo/a%2Fb/%F0%9F%98%80?ver=1&ver=2&x=%2F`, { headers: { "X-Custom": "yes" } });
    expect(res.json()).toEqual({
      params: { a: "a/b", b: "😀" },
      ver: ["1", "2"],
      header: "yes",
      uri: "/echo/a%2Fb/%F0%9F%98%80?ver=1&ver=2&x=%2F",
      method: "GET",
      remote: "127.0.0.1",
    });
  });

  it("answers 404 M_UNRECOGNIZED for unknown paths and 405 M_UNRECOGNIZED with Allow for wrong methods", async () => {
    const missing = await request(`${p}/nope`);
    expect([missing.status, missing.json<{ errcode: string }>().errcode]).toEqual([404, "M_UNRECOGNIZED"]);
    const wrong = await request(`${p}/matrix-error`, { method: "POST", body: {} });
    expect([wrong.status, wrong.json<{ errcode: string }>().errcode]).toEqual([405, "M_UNRECOGNIZED"]);
    expect(wrong.headers.allow).toBe("GET");
    expect(wrong.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("sends CORS headers on every response of a CORS router and answers preflights without logic", async () => {
    const ok = await request(`${c}/thing`);
    expect(ok.headers["access-control-allow-origin"]).toBe("*");
    expect(ok.headers["access-control-allow-methods"]).toBe("GET, POST, PUT, DELETE, OPTIONS");
    expect(ok.headers["access-control-allow-headers"]).toBe("X-Requested-With, Content-Type, Authorization");
    const missing = await request(`${c}/nope`);
    expect([missing.status, missing.headers["access-control-allow-origin"]]).toEqual([404, "*"]);
    const preflight = await request(`${c}/thing`, { method: "OPTIONS", headers: { "Access-Control-Request-Method": "GET" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("*");
    expect(preflight.text).toBe("");
  });

  it("fails closed when a route needs an authenticator nobody installed", async () => {
    const fed = await request(`${p}/fed/1`, { method: "PUT", body: {} });
    expect([fed.status, fed.json<{ errcode: string }>().errcode]).toEqual([500, "M_UNKNOWN"]);
    const client = await request(`${p}/client-only`);
    expect(client.status).toBe(500);
    const optional = await request(`${p}/client-optional`);
    expect([optional.status, optional.json()]).toEqual([200, { auth: null }]);
  });

  it("runs installed authenticators after the body is parsed and hands their result to the handler", async () => {
    const router = new Router({ cors: false, defaultBodyLimit: 1024 })
      .put("/fed/:id", (req) => json({ auth: req.auth, body: req.body }), { auth: "federation" })
      .get("/client-only", (req) => json({ auth: req.auth }), { auth: "client" })
      .get("/client-optional", (req) => json({ auth: req.auth ?? null }), { auth: "client-optional" });
    const seenBodies: unknown[] = [];
    router.setAuthenticator({
      federation(req) {
        seenBodies.push(req.body);
        if (req.headers.authorization !== "X-Matrix good") throw Errors.unauthorized("bad signature");
        return { origin: "remote.example", destination: undefined, keyId: "ed25519:k" };
      },
      client(req, required) {
        // A real hook throws M_MISSING_TOKEN itself when required; returning nothing must not pass either.
        if (req.headers.authorization === undefined) return undefined;
        void required;
        return { userId: "@u:hs", deviceId: "D", isGuest: false };
      },
    });
    const l2 = await startListener(router, { name: "auth2", host: "127.0.0.1", port: 0 });
    const b2 = `http://127.0.0.1:${l2.port}`;
    try {
      const good = await request(`${b2}/fed/1`, { method: "PUT", body: { pdus: [] }, headers: { Authorization: "X-Matrix good" } });
      expect(good.json()).toEqual({ auth: { origin: "remote.example", keyId: "ed25519:k" }, body: { pdus: [] } });
      expect(seenBodies).toEqual([{ pdus: [] }]);
      const bad = await request(`${b2}/fed/1`, { method: "PUT", body: {}, headers: { Authorization: "X-Matrix bad" } });
      expect([bad.status, bad.json<{ errcode: string }>().errcode]).toEqual([401, "M_UNAUTHORIZED"]);
      const noToken = await request(`${b2}/client-only`);
      expect([noToken.status, noToken.json<{ errcode: string }>().errcode]).toEqual([401, "M_MISSING_TOKEN"]);
      const withToken = await request(`${b2}/client-only`, { headers: { Authorization: "Bearer t" } });
      expect(withToken.json()).toEqual({ auth: { userId: "@u:hs", deviceId: "D", isGuest: false } });
      expect((await request(`${b2}/client-optional`)).json()).toEqual({ auth: null });
    } finally {
      await l2.close(0);
    }
  });
});
