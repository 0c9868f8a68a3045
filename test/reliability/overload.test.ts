/**
 * Overload at the edge (DESIGN.md: bounded queues; src/http/respond.ts maps a full queue to
 * 429 M_LIMIT_EXCEEDED with retry_after_ms): with tiny configured limits, a flood beyond
 * capacity is refused with M_LIMIT_EXCEEDED + `retry_after_ms` (+ `Retry-After`), the queues
 * never hold more than their bound, the server keeps serving, and once the pressure is gone
 * the refused work goes through.
 *
 *   limits.federation_max_concurrent_per_origin = 1   (src/federation/send/origin-limiter.ts)
 *   pool.max_queue = 1, pool.size = 1                 (src/crypto/pool.ts)
 *   limits.client_rate_burst / _per_second            (src/client/rate-limit.ts)
 *
 * The per-origin case is made deterministic without timing: the remote holds Conflux's
 * get_missing_events request open, so the first transaction keeps its slot for as long as
 * the test wants.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/events/types.js";
import { conflux, FakeRemote } from "../helpers/fake-remote.js";
import type { TestServer } from "../helpers/server.js";
import { clientCall, createPublicRoom, joinRoom, registerUser, sendPath, type ClientResponse, type Session } from "./lib/client.js";
import { RemoteRoom } from "./lib/remote-room.js";

const BURST = 40;

/** 429 M_LIMIT_EXCEEDED with retry_after_ms (and the Retry-After header, when we saw headers). */
function expectLimitExceeded(status: number, body: unknown, headers?: Record<string, unknown>): void {
  const b = body as Record<string, unknown>;
  expect(status).toBe(429);
  expect(b.errcode).toBe("M_LIMIT_EXCEEDED");
  expect(typeof b.retry_after_ms).toBe("number");
  expect(b.retry_after_ms as number).toBeGreaterThan(0);
  if (headers) expect(Number(headers["retry-after"])).toBeGreaterThanOrEqual(1);
}

describe("overload: refused at the edge, queues stay bounded", () => {
  let remote: FakeRemote;
  let other: FakeRemote;
  let ts: TestServer;
  let alice: Session;
  let bob: Session;
  let roomId: string;
  let room: RemoteRoom;
  let otherRoom: RemoteRoom;
  let release: () => void = () => undefined;
  let held = false;

  beforeAll(async () => {
    remote = await FakeRemote.start();
    other = await FakeRemote.start();
    for (const r of [remote, other]) r.on("PUT", "/_matrix/federation/v1/send/:txnId", () => ({ pdus: {} }));
    ts = await conflux([remote, other], {
      overrides: {
        registration: { open: true },
        pool: { size: 1, max_queue: 1 },
        limits: { federation_max_concurrent_per_origin: 1, client_rate_per_second: 0.001, client_rate_burst: BURST },
      },
    });
    alice = await registerUser(ts.clientUrl, "alice");
    bob = await registerUser(ts.clientUrl, "bob");
    roomId = await createPublicRoom(alice);
    await joinRoom(bob, roomId);
    const target = { serverName: ts.serverName, federationUrl: ts.federationUrl };
    room = await RemoteRoom.join(remote, target, roomId, "r0");
    otherRoom = await RemoteRoom.join(other, target, roomId, "o0");
  });

  afterAll(async () => {
    release();
    await ts?.stop();
    await remote?.stop();
    await other?.stop();
  });

  it("federation: a second concurrent transaction from one origin gets 429; other origins are served", async () => {
    const sender = remote.userId("r0");
    const missing = room.message(sender, "held back");
    const gate = new Promise<void>((resolve) => (release = resolve));
    remote.on("POST", "/_matrix/federation/v1/get_missing_events/:roomId", async () => {
      held = true;
      await gate;
      return { events: [missing.pdu as unknown as JsonObject] };
    });
    // Its prev event is unknown to Conflux: gap filling asks the remote, which holds the answer.
    const first = room.transaction([room.message(sender, "after the gap")]);
    const firstDone = room.send(first);
    while (!held) await new Promise((r) => setTimeout(r, 10));

    const second = room.transaction([room.message(sender, "while busy")]);
    const refused = await room.send(second);
    expectLimitExceeded(refused.status, refused.body, refused.headers);

    const elsewhere = otherRoom.transaction([otherRoom.message(other.userId("o0"), "another origin")]);
    const served = await otherRoom.send(elsewhere);
    expect(served.status).toBe(200);
    expect(served.body).toEqual({ pdus: { [elsewhere.eventIds[0]!]: {} } });

    release();
    const done = await firstDone;
    expect({ status: done.status, body: done.body }).toEqual({ status: 200, body: { pdus: { [first.eventIds[0]!]: {} } } });
    // The sender retries the refused transaction later; now it goes through.
    const retried = await room.send(second);
    expect({ status: retried.status, body: retried.body }).toEqual({ status: 200, body: { pdus: { [second.eventIds[0]!]: {} } } });
    expect(ts.server.app.storage.events.getEvent(missing.eventId)?.status).toBe("accepted");
  });

  it("crypto pool: a login flood beyond the queue bound gets 429 while the queue stays within it", async () => {
    const pool = ts.server.app.pool;
    let deepest = 0;
    const sampler = setInterval(() => (deepest = Math.max(deepest, pool.queueSize)), 1);
    const wrong = { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "wrong-password" };
    let answers: ClientResponse[];
    try {
      answers = await Promise.all(Array.from({ length: 16 }, () => clientCall(ts.clientUrl, "POST", "/_matrix/client/v3/login", wrong)));
    } finally {
      clearInterval(sampler);
    }
    const busy = answers.filter((a) => a.status === 429);
    expect(busy.length).toBeGreaterThan(0);
    for (const a of busy) expectLimitExceeded(a.status, a.body, a.headers);
    // Everything else was a real answer to a wrong password, never a server error.
    for (const a of answers.filter((x) => x.status !== 429)) expect([a.status, a.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    expect(deepest).toBeLessThanOrEqual(ts.config.pool.max_queue);
    // Pressure gone: the right password logs in.
    const ok = await clientCall(ts.clientUrl, "POST", "/_matrix/client/v3/login", { ...wrong, password: "reliability-password-1" });
    expect(ok.status).toBe(200);
  });

  it("client API: one user past its burst gets 429 with retry_after_ms; another user is not affected", async () => {
    let accepted = 0;
    let refused: ClientResponse | undefined;
    for (let i = 0; i < BURST + 5 && !refused; i++) {
      const r = await clientCall(ts.clientUrl, "PUT", sendPath(roomId, `flood-${i}`), { msgtype: "m.text", body: `${i}` }, alice.accessToken);
      if (r.status === 200) accepted++;
      else refused = r;
    }
    expect(refused).toBeDefined();
    expectLimitExceeded(refused!.status, refused!.body, refused!.headers);
    // The burst was spent by this test and the setup (register, createRoom, sends), never more.
    expect(accepted).toBeLessThanOrEqual(BURST);
    const mailboxes = ts.server.app.rooms.mailboxDepths();
    for (const m of mailboxes) expect(m.depth).toBeLessThanOrEqual(256);
    const other = await clientCall(ts.clientUrl, "PUT", sendPath(roomId, "bob-1"), { msgtype: "m.text", body: "bob" }, bob.accessToken);
    expect(other.status).toBe(200);
  });
});
