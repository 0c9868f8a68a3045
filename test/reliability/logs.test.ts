/**
 * Structured logs (src/log.ts; CONTRIBUTING.md "Logging"): a child-process server at
 * log_level debug writes one JSON object per stdout line, and the lines about the work
 * operators filter on carry the Matrix identifiers as fields: federation /send processing
 * `origin` + `txn_id`, room work `room_id`, event problems `event_id` (with `room_id`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/events/types.js";
import { ensureBuilt } from "../helpers/build.js";
import { FakeRemote } from "../helpers/fake-remote.js";
import { freePort } from "../helpers/server.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { ChildServer, sleep } from "./lib/child-server.js";
import { createPublicRoom, registerUser } from "./lib/client.js";
import { RemoteRoom } from "./lib/remote-room.js";

describe("structured JSON logs", () => {
  let dir: TempDir;
  let remote: FakeRemote;
  let server: ChildServer;
  let roomId: string;
  let room: RemoteRoom;
  let forgedId: string;
  let txnId: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = tempDir("conflux-logs-");
    remote = await FakeRemote.start();
    remote.on("PUT", "/_matrix/federation/v1/send/:txnId", () => ({ pdus: {} }));
    const ports = { federationPort: await freePort(), clientPort: await freePort() };
    server = await ChildServer.start({ dir: dir.path, ...ports, config: { log_level: "debug", federation: { trusted_ca_paths: [remote.certPath] } } });
    const alice = await registerUser(server.clientUrl, "alice");
    roomId = await createPublicRoom(alice);
    room = await RemoteRoom.join(remote, server, roomId, "r0");

    // A transaction processed normally.
    const sender = remote.userId("r0");
    const ok = room.transaction([room.message(sender, "hello")]);
    txnId = ok.txnId;
    expect((await room.send(ok)).status).toBe(200);

    // An event problem: the remote answers get_missing_events with an event whose signature
    // does not verify, so Conflux drops it (and logs why).
    const missing = room.message(sender, "forged");
    forgedId = missing.eventId;
    const forged = structuredClone(missing.pdu) as unknown as JsonObject & { signatures: Record<string, Record<string, string>> };
    const sig = forged.signatures[remote.serverName]![remote.key.keyId]!;
    forged.signatures[remote.serverName]![remote.key.keyId] = `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
    remote.on("POST", "/_matrix/federation/v1/get_missing_events/:roomId", () => ({ events: [forged] }));
    expect((await room.send(room.transaction([room.message(sender, "after the forged one")]))).status).toBe(200);
    // The child's stdout reaches us asynchronously to its HTTP answers: wait (bounded) for
    // the lines the tests look at; if they never come, the tests below say which is missing.
    for (let i = 0; i < 200; i++) {
      const logs = server.logs();
      if (logs.some((l) => l.txn_id === txnId) && logs.some((l) => l.event_id === forgedId)) break;
      await sleep(25);
    }
  });

  afterAll(async () => {
    await server?.kill();
    await remote?.stop();
    dir?.cleanup();
  });

  it("writes one JSON object per line with level, time, component and message", () => {
    expect(server.stdout.length).toBeGreaterThan(5);
    const logs = server.logs();
    expect(logs.length).toBe(server.stdout.length);
    for (const l of logs) {
      expect(typeof l.level).toBe("string");
      expect(Number.isNaN(Date.parse(l.time as string))).toBe(false);
      expect(typeof l.component).toBe("string");
      expect(typeof l.msg).toBe("string");
    }
    expect(logs.some((l) => l.level === "debug")).toBe(true);
  });

  it("federation /send processing carries origin and txn_id", () => {
    const line = server.logs().find((l) => l.component === "federation.send" && l.txn_id === txnId);
    expect(line).toMatchObject({ origin: remote.serverName, txn_id: txnId });
  });

  it("room work carries room_id", () => {
    const lines = server.logs().filter((l) => l.room_id === roomId);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.msg === "room created")).toBe(true);
  });

  it("event problems carry event_id and room_id", () => {
    const line = server.logs().find((l) => l.event_id === forgedId);
    expect(line).toMatchObject({ event_id: forgedId, room_id: roomId });
    expect(typeof line!.reason).toBe("string");
  });

  it("Matrix identifiers are fields, not interpolated into messages", () => {
    for (const l of server.logs()) {
      expect(l.msg).not.toContain(roomId);
      expect(l.msg).not.toContain(txnId);
      expect(l.msg).not.toContain(forgedId);
    }
  });
});
