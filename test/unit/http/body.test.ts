import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MatrixError } from "../../../src/errors.js";
import { MAX_JSON_DEPTH, nestingExceeds, parseBody } from "../../../src/http/body.js";
import { startListener, type Listener } from "../../../src/http/listener.js";
import { bytes, json } from "../../../src/http/request.js";
import { Router } from "../../../src/http/router.js";
import { rawHttp, request } from "../../helpers/http.js";

const LIMIT = 64;

function errcodeOf(fn: () => unknown): [number, string] {
  try {
    fn();
  } catch (e) {
    if (e instanceof MatrixError) return [e.status, e.errcode];
    throw e;
  }
  throw new Error("expected a MatrixError");
}

describe("parseBody", () => {
  const b = (s: string) => Buffer.from(s);

  it("parses per mode", () => {
    expect(parseBody(b('{"a":1}'), "object")).toEqual({ a: 1 });
    expect(parseBody(b("[1]"), "json")).toEqual([1]);
    expect(parseBody(b(""), "object-or-empty")).toEqual({});
    expect(parseBody(b('{"x":"é"}'), "object-or-empty")).toEqual({ x: "é" });
    expect(parseBody(b("anything"), "raw")).toBeUndefined();
    expect(parseBody(b("anything"), "none")).toBeUndefined();
  });

  it("maps bad input to the spec's errors", () => {
    expect(errcodeOf(() => parseBody(b(""), "object"))).toEqual([400, "M_NOT_JSON"]);
    expect(errcodeOf(() => parseBody(b("{nope"), "object"))).toEqual([400, "M_NOT_JSON"]);
    expect(errcodeOf(() => parseBody(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), "object"))).toEqual([400, "M_NOT_JSON"]);
    expect(errcodeOf(() => parseBody(b("[]"), "object"))).toEqual([400, "M_BAD_JSON"]);
    expect(errcodeOf(() => parseBody(b("null"), "object"))).toEqual([400, "M_BAD_JSON"]);
    expect(errcodeOf(() => parseBody(b('"s"'), "object-or-empty"))).toEqual([400, "M_BAD_JSON"]);
  });
});

describe("JSON nesting limit", () => {
  const nested = (n: number) => Buffer.from(`{"a":${"[".repeat(n - 1)}1${"]".repeat(n - 1)}}`);
  it("measures depth outside strings only", () => {
    expect(nestingExceeds(nested(10), 10)).toBe(false);
    expect(nestingExceeds(nested(11), 10)).toBe(true);
    expect(nestingExceeds(Buffer.from(`{"s":"${"[".repeat(50)}\\\"[[["}`), 5)).toBe(false);
  });
  it("refuses bodies nested deeper than the limit with 400 M_BAD_JSON, accepts the limit", () => {
    expect(() => parseBody(nested(MAX_JSON_DEPTH), "object")).not.toThrow();
    const err = (() => {
      try {
        parseBody(nested(MAX_JSON_DEPTH + 1), "object");
      } catch (e) {
        return e as MatrixError;
      }
      throw new Error("accepted");
    })();
    expect([err.status, err.errcode]).toEqual([400, "M_BAD_JSON"]);
  });
});

describe("request bodies over real HTTP", () => {
  let listener: Listener;
  let base: string;
  let handled = 0;

  beforeAll(async () => {
    const router = new Router({ cors: false, defaultBodyLimit: LIMIT })
      .put("/object/:id", (req) => {
        handled++;
        return json({ id: req.params.id, body: req.body, raw: req.rawBody.length });
      })
      .post("/empty-ok", (req) => json({ body: req.body }), { body: "object-or-empty" })
      .post("/raw", (req) => bytes(req.rawBody, "application/octet-stream"), { body: "raw", bodyLimit: 1024 * 1024 });
    listener = await startListener(router, { name: "test", host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${listener.port}`;
  });

  afterAll(async () => {
    await listener.close(0);
  });

  it("hands the parsed object and the raw bytes to the handler", async () => {
    const res = await request(`${base}/object/7`, { method: "PUT", body: { hello: "wörld" } });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.json()).toEqual({ id: "7", body: { hello: "wörld" }, raw: Buffer.byteLength('{"hello":"wörld"}') });
  });

  it("accepts a body of exactly the limit", async () => {
    const body = JSON.stringify({ k: "x".repeat(LIMIT - 8) });
    expect(body.length).toBe(LIMIT);
    const res = await request(`${base}/object/1`, { method: "PUT", body });
    expect(res.status).toBe(200);
  });

  it("rejects a declared Content-Length over the limit with 413 M_TOO_LARGE, without running the handler", async () => {
    const before = handled;
    const res = await request(`${base}/object/1`, { method: "PUT", body: { k: "x".repeat(LIMIT) } });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ errcode: "M_TOO_LARGE" });
    expect(handled).toBe(before);
  });

  it("rejects a chunked body once it passes the limit", async () => {
    const res = await request(`${base}/object/1`, { method: "PUT", body: { k: "x".repeat(LIMIT * 4) }, chunked: true });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ errcode: "M_TOO_LARGE" });
  });

  it("closes the connection after a 413 so the rest of the upload is never read", async () => {
    const head = `PUT /object/1 HTTP/1.1\r\nHost: x\r\nContent-Length: ${LIMIT * 1000}\r\n\r\n`;
    const reply = await rawHttp(listener.port, head + "{".repeat(100));
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply).toContain("M_TOO_LARGE");
  });

  it("answers 400 M_NOT_JSON for invalid JSON and invalid UTF-8", async () => {
    const bad = await request(`${base}/object/1`, { method: "PUT", body: "{not json" });
    expect([bad.status, bad.json<{ errcode: string }>().errcode]).toEqual([400, "M_NOT_JSON"]);
    const latin1 = await request(`${base}/object/1`, { method: "PUT", body: Buffer.from('{"k":"\xe9"}', "latin1") });
    expect([latin1.status, latin1.json<{ errcode: string }>().errcode]).toEqual([400, "M_NOT_JSON"]);
  });

  it("answers 400 M_NOT_JSON for a missing body and M_BAD_JSON for a non-object", async () => {
    const none = await request(`${base}/object/1`, { method: "PUT" });
    expect([none.status, none.json<{ errcode: string }>().errcode]).toEqual([400, "M_NOT_JSON"]);
    const array = await request(`${base}/object/1`, { method: "PUT", body: "[1,2]" });
    expect([array.status, array.json<{ errcode: string }>().errcode]).toEqual([400, "M_BAD_JSON"]);
  });

  it("reads an empty body as {} where the route allows it", async () => {
    const res = await request(`${base}/empty-ok`, { method: "POST" });
    expect(res.json()).toEqual({ body: {} });
  });

  it("passes raw bodies through byte for byte, with a per-route limit", async () => {
    const payload = Buffer.alloc(200_000, 0xab);
    payload[0] = 0xff;
    const res = await request(`${base}/raw`, { method: "POST", body: payload });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/octet-stream");
    expect(res.body.equals(payload)).toBe(true);
  });

  it("never runs a handler for a malformed Content-Length", async () => {
    const before = handled;
    const reply = await rawHttp(listener.port, "PUT /object/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\nConnection: close\r\n\r\n{}");
    // uWS's parser drops such a connection outright; our own check answers 400 otherwise.
    expect(reply === "" || /^HTTP\/1\.1 400 /.test(reply)).toBe(true);
    expect(handled).toBe(before);
  });
});
