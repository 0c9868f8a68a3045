import net from "node:net";
import { describe, expect, it } from "vitest";
import { startListener } from "../../../src/http/listener.js";
import { json, type RequestContext } from "../../../src/http/request.js";
import { Router } from "../../../src/http/router.js";
import { request } from "../../helpers/http.js";

function connectable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

/** Resolves when `check` holds, polling once per event-loop turn (no wall-clock assertions). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

describe("listener lifecycle", () => {
  it("binds port 0 to a real port and frees it on close, many times in one process", async () => {
    const router = new Router({ cors: false, defaultBodyLimit: 1024 }).get("/ping", () => json({ pong: true }));
    for (let i = 0; i < 5; i++) {
      const listener = await startListener(router, { name: "cycle", host: "127.0.0.1", port: 0 });
      expect(listener.port).toBeGreaterThan(0);
      expect((await request(`http://127.0.0.1:${listener.port}/ping`)).json()).toEqual({ pong: true });
      await listener.close(0);
      expect(await connectable(listener.port)).toBe(false);
    }
  });

  it("fails to start on a port already in use", async () => {
    const router = new Router({ cors: false, defaultBodyLimit: 1024 });
    const first = await startListener(router, { name: "a", host: "127.0.0.1", port: 0 });
    try {
      await expect(startListener(router, { name: "b", host: "127.0.0.1", port: first.port })).rejects.toThrow(/cannot listen/);
    } finally {
      await first.close(0);
    }
  });

  it("refuses to start TLS without its files", async () => {
    const router = new Router({ cors: false, defaultBodyLimit: 1024 });
    await expect(
      startListener(router, { name: "tls", host: "127.0.0.1", port: 0, tls: { certificatePath: "/nonexistent.crt", privateKeyPath: "/nonexistent.key" } }),
    ).rejects.toThrow(/not found/);
  });

  it("survives a peer that disconnects while its handler is still running, and while uploading", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let ctx: RequestContext | undefined;
    let finished = false;
    const router = new Router({ cors: false, defaultBodyLimit: 1 << 20 })
      .get("/slow", async (_req, c) => {
        ctx = c;
        await gate;
        finished = true;
        return json({ late: true });
      })
      .put("/upload", () => json({}))
      .get("/ping", () => json({ pong: true }));
    const listener = await startListener(router, { name: "abort", host: "127.0.0.1", port: 0 });
    try {
      const slow = net.connect({ host: "127.0.0.1", port: listener.port }, () => slow.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
      await until(() => ctx !== undefined);
      slow.destroy();
      await until(() => ctx!.aborted);
      release();
      await until(() => finished);
      // The late response was dropped rather than written to a dead socket (which kills uWS).
      const partial = net.connect({ host: "127.0.0.1", port: listener.port }, () =>
        partial.write("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"a\":"),
      );
      await new Promise((r) => partial.once("connect", r));
      partial.destroy();
      expect((await request(`http://127.0.0.1:${listener.port}/ping`)).json()).toEqual({ pong: true });
    } finally {
      await listener.close(0);
    }
  });

  it("lets in-flight requests finish on close before dropping connections", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    const router = new Router({ cors: false, defaultBodyLimit: 1024 }).get("/work", async () => {
      started = true;
      await gate;
      return json({ done: true });
    });
    const listener = await startListener(router, { name: "drain", host: "127.0.0.1", port: 0 });
    const pending = request(`http://127.0.0.1:${listener.port}/work`);
    await until(() => started);
    const closed = listener.close(60_000);
    expect(await connectable(listener.port)).toBe(false); // no new connections once closing
    release();
    const res = await pending;
    await closed;
    expect([res.status, res.json()]).toEqual([200, { done: true }]);
  });
});
