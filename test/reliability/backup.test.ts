/**
 * `conflux backup` (src/cli/backup.ts) against a server that is running and being written
 * to: the copy opens as a database on its own, holds every event acknowledged before the
 * backup started, is consistent (lib/consistency.ts), and a server started on it serves them.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Storage } from "../../src/storage/storage.js";
import { CLI_ENTRY, ensureBuilt } from "../helpers/build.js";
import { freePort } from "../helpers/server.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { ChildServer } from "./lib/child-server.js";
import { clientCall, createPublicRoom, registerUser, sendPath, type Session } from "./lib/client.js";
import { checkAllRooms } from "./lib/consistency.js";

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("conflux backup of a running server", () => {
  let dir: TempDir;
  let server: ChildServer;
  let alice: Session;
  let roomId: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = tempDir("conflux-backup-");
    server = await ChildServer.start({ dir: join(dir.path, "live"), federationPort: await freePort(), clientPort: await freePort() });
    alice = await registerUser(server.clientUrl, "alice");
    roomId = await createPublicRoom(alice);
  });

  afterAll(async () => {
    await server?.kill();
    dir?.cleanup();
  });

  it("copies a consistent snapshot holding everything acknowledged before it, while writes go on", async () => {
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await clientCall(server.clientUrl, "PUT", sendPath(roomId, `before-${i}`), { msgtype: "m.text", body: `${i}` }, alice.accessToken);
      acked.push(r.body.event_id as string);
    }
    // Writes continue during the backup.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await clientCall(server.clientUrl, "PUT", sendPath(roomId, `during-${i}`), { msgtype: "m.text", body: `${i}` }, alice.accessToken);
      }
    })();
    const out = join(dir.path, "copy");
    const result = await cli(["backup", "--config", server.configPath, "--output", out]);
    writing = false;
    await writer;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    for (const f of ["db/data.mdb", "signing.key", "tls.crt", "tls.key", "homeserver.yaml"]) expect(existsSync(join(out, f))).toBe(true);

    const copy = Storage.open(join(out, "db"));
    try {
      expect(acked.filter((id) => copy.events.getEvent(id)?.status !== "accepted")).toEqual([]);
      expect(checkAllRooms(copy)).toEqual([]);
    } finally {
      await copy.close();
    }

    // Restore: a server on a data dir made from the backup (same server name, so the live
    // one stops first) serves the events.
    expect((await server.stop()).code).toBe(0);
    const restored = join(dir.path, "restored");
    mkdirSync(join(restored, "db"), { recursive: true });
    copyFileSync(join(out, "db", "data.mdb"), join(restored, "db", "data.mdb"));
    for (const f of ["signing.key", "tls.crt", "tls.key"]) copyFileSync(join(out, f), join(restored, f));
    const second = await ChildServer.start({ dir: restored, federationPort: server.options.federationPort, clientPort: await freePort() });
    try {
      const got = await clientCall(second.clientUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(acked[19]!)}`, undefined, alice.accessToken);
      expect([got.status, got.body.event_id]).toEqual([200, acked[19]]);
    } finally {
      await second.kill();
    }
  });

  it("refuses to write into a directory that is not empty", async () => {
    const result = await cli(["backup", "--config", server.configPath, "--output", join(dir.path, "live")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("not an empty directory");
  });
});
