/**
 * The ingest load generator: a separate process playing several remote homeservers.
 *
 *   runner ──plan.json──► generator: start remotes (key endpoints on loopback), join one user
 *                         per remote to each of its rooms (make_join / send_join v2), pre-sign
 *                         every m.room.message PDU, group them into transactions
 *          ◄── "READY" ── (stdout)
 *          ─── "GO" ────► (stdin) each remote sends its transactions one at a time (one in
 *                         flight per origin, as the spec requires), all remotes at once
 *          ◄── result ─── "RESULT {json}" on stdout: counts, latencies (accepted IDs to a file)
 *
 * `mode: "null"` sends the same transactions to a sink that answers 200 at once: the
 * generator's own ceiling, to show it is not the bottleneck.
 */
import fs from "node:fs";
import readline from "node:readline";
import { computeEventId } from "../../src/events/hashes.js";
import { getRoomVersion } from "../../src/events/room-versions.js";
import { signingKeyFromSeed } from "../../src/events/signing-json.js";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import { startListener } from "../../src/http/listener.js";
import { json } from "../../src/http/request.js";
import { Router } from "../../src/http/router.js";
import { loadIdentityKey, RemoteHomeserver, type RemoteIdentity } from "../lib/remote-homeserver.js";

export interface GeneratorPlan {
  mode: "run" | "null";
  target: { serverName: string; host: string; port: number; caPath?: string };
  remotes: RemoteIdentity[];
  /** Rooms on the target, each owned by one remote (index into `remotes`). */
  rooms: { roomId: string; remote: number }[];
  eventsPerRoom: number;
  /** PDUs per transaction (≤ 50). */
  batch: number;
  /** Where to write the accepted event IDs (one per line). */
  acceptedFile: string;
  /** For mode "null": a certificate/key pair for the sink. */
  sinkTls?: { certPath: string; keyPath: string; port: number };
}

export interface GeneratorResult {
  accepted: number;
  failed: number;
  firstErrors: string[];
  transactions: number;
  seconds: number;
  latenciesMs: number[];
  presignSeconds: number;
}

function emit(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const plan = JSON.parse(fs.readFileSync(process.argv[2]!, "utf8")) as GeneratorPlan;
  const version = getRoomVersion("12")!;
  let target = plan.target;
  let sinkClose: (() => Promise<void>) | undefined;
  if (plan.mode === "null") {
    const router = new Router({ cors: false, defaultBodyLimit: 64 << 20 });
    router.put("/_matrix/federation/v1/send/:txnId", () => json({ pdus: {} }), { body: "raw" });
    const sink = await startListener(router, {
      name: "sink",
      host: "127.0.0.1",
      port: plan.sinkTls!.port,
      tls: { certificatePath: plan.sinkTls!.certPath, privateKeyPath: plan.sinkTls!.keyPath },
    });
    sinkClose = () => sink.close(0);
    target = { serverName: plan.target.serverName, host: "127.0.0.1", port: sink.port };
  }
  const remotes: RemoteHomeserver[] = [];
  for (const id of plan.remotes) remotes.push(await RemoteHomeserver.start(id, loadIdentityKey(id, signingKeyFromSeed), plan.mode === "null" ? target : plan.target));

  // Join and learn each room's auth events for messages (create is never listed in v12).
  const presignStart = process.hrtime.bigint();
  const perRemote: Pdu[][][] = remotes.map(() => []);
  for (const room of plan.rooms) {
    const remote = remotes[room.remote]!;
    const chain: Pdu[] = [];
    if (plan.mode === "run") {
      const joinId = await remote.join(room.roomId, "bench", (v) => getRoomVersion(v));
      const state = await remote.request("GET", `/_matrix/federation/v1/state/${encodeURIComponent(room.roomId)}?event_id=${encodeURIComponent(joinId)}`);
      if (state.status !== 200) throw new Error(`state ${state.status}`);
      const pdus = (state.body as { pdus: Pdu[] }).pdus;
      const pl = pdus.find((p) => p.type === "m.room.power_levels");
      if (!pl) throw new Error("no power levels in room state");
      const plId = computeEventId(pl, version);
      const joinDepth = (pdus.reduce((d, p) => Math.max(d, p.depth), 0) as number) + 1;
      let prev = joinId;
      for (let i = 0; i < plan.eventsPerRoom; i++) {
        const ev: JsonObject = {
          room_id: room.roomId,
          sender: remote.userId("bench"),
          type: "m.room.message",
          content: { msgtype: "m.text", body: `bench message ${i} in ${room.roomId}` },
          origin_server_ts: Date.now(),
          depth: joinDepth + 1 + i,
          prev_events: [prev],
          auth_events: [plId, joinId],
        };
        const signed = remote.sign(ev, version);
        chain.push(signed.pdu);
        prev = signed.eventId;
      }
    } else {
      for (let i = 0; i < plan.eventsPerRoom; i++) {
        chain.push(
          remote.sign(
            { room_id: room.roomId, sender: remote.userId("bench"), type: "m.room.message", content: { body: `x${i}` }, origin_server_ts: Date.now(), depth: i + 1, prev_events: [], auth_events: [] },
            version,
          ).pdu,
        );
      }
    }
    perRemote[room.remote]!.push(chain);
  }
  // Transactions: each remote round-robins its rooms, `batch` PDUs at a time, room order kept.
  const txns: JsonObject[][] = perRemote.map((chains, r) => {
    const out: JsonObject[] = [];
    const cursors = chains.map(() => 0);
    const share = Math.max(1, Math.floor(plan.batch / Math.max(1, chains.length)));
    for (;;) {
      const pdus: Pdu[] = [];
      for (let c = 0; c < chains.length && pdus.length < plan.batch; c++) {
        const take = Math.min(share, plan.batch - pdus.length);
        pdus.push(...chains[c]!.slice(cursors[c]!, cursors[c]! + take));
        cursors[c]! += take;
      }
      if (pdus.length === 0) break;
      out.push({ origin: remotes[r]!.serverName, origin_server_ts: Date.now(), pdus: pdus as unknown as JsonValue });
    }
    return out;
  });
  const presignSeconds = Number(process.hrtime.bigint() - presignStart) / 1e9;

  emit("READY");
  await new Promise<void>((resolve) => {
    const rl = readline.createInterface({ input: process.stdin });
    rl.on("line", (l) => {
      if (l.trim() === "GO") {
        rl.close();
        resolve();
      }
    });
  });

  const result: GeneratorResult = { accepted: 0, failed: 0, firstErrors: [], transactions: 0, seconds: 0, latenciesMs: [], presignSeconds };
  const acceptedIds: string[] = [];
  const start = process.hrtime.bigint();
  await Promise.all(
    remotes.map(async (remote, r) => {
      let n = 0;
      for (const body of txns[r]!) {
        const t0 = process.hrtime.bigint();
        let res = await remote.request("PUT", `/_matrix/federation/v1/send/bench${r}_${n}_${process.pid}`, body);
        while (res.status === 429) {
          await new Promise((w) => setTimeout(w, Number((res.body as { retry_after_ms?: number }).retry_after_ms ?? 100)));
          res = await remote.request("PUT", `/_matrix/federation/v1/send/bench${r}_${n}_${process.pid}`, body);
        }
        result.latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
        result.transactions++;
        n++;
        if (res.status !== 200) {
          result.failed += (body.pdus as unknown[]).length;
          if (result.firstErrors.length < 5) result.firstErrors.push(`HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
          continue;
        }
        const pdus = (res.body as { pdus: Record<string, { error?: string }> }).pdus ?? {};
        for (const [id, r2] of Object.entries(pdus)) {
          if (r2.error === undefined) {
            result.accepted++;
            acceptedIds.push(id);
          } else {
            result.failed++;
            if (result.firstErrors.length < 5) result.firstErrors.push(`${id}: ${r2.error}`);
          }
        }
        if (plan.mode === "null") result.accepted += (body.pdus as unknown[]).length;
      }
    }),
  );
  result.seconds = Number(process.hrtime.bigint() - start) / 1e9;
  fs.writeFileSync(plan.acceptedFile, acceptedIds.join("\n"));
  for (const r of remotes) await r.stop();
  await sinkClose?.();
  emit(`RESULT ${JSON.stringify(result)}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`generator failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
