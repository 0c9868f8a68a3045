/**
 * `crypto`: how close the pool gets to the machine's ed25519 limit.
 *
 * 1. The limit: raw single-thread sodium-native verifies/s over the exact bytes an event's
 *    signature covers (redacted canonical JSON), measured now, on this machine.
 * 2. Inline `verifyEvent` (redact + canonical JSON + SHA-256 + verify) on one thread: what the
 *    event rules cost on top of the raw verify.
 * 3. Pool throughput at batch sizes 1, 10, 50, 500 and pool sizes 1..cores, with enough tasks
 *    in flight to keep every worker busy; ratio = events/s ÷ (cores × raw rate).
 * 4. Per-task overhead (empty tasks/s) and objects vs transferred JSON bytes at batch 50.
 */
import os from "node:os";
import sodium from "sodium-native";
import { CryptoPool } from "../../src/crypto/pool.js";
import type { WireKeyMap } from "../../src/crypto/pool-tasks.js";
import { getRoomVersion } from "../../src/events/room-versions.js";
import { hashAndSignEvent } from "../../src/events/sign-event.js";
import { verifyEvent } from "../../src/events/verify-event.js";
import { redact } from "../../src/events/redaction.js";
import { signedBytes, signingKeyFromSeed } from "../../src/events/signing-json.js";
import { decodeBase64 } from "../../src/events/base64.js";
import type { JsonObject, Pdu } from "../../src/events/types.js";
import { round3, secondsSince } from "../lib/stats.js";
import type { Scenario, ScenarioContext, ScenarioResult, Series } from "../lib/types.js";

const VERSION = getRoomVersion("12")!;
const SERVER = "127.0.0.1:18448";

export function makeSignedMessages(n: number): { pdus: Pdu[]; keys: WireKeyMap } {
  const seed = Buffer.alloc(32);
  sodium.randombytes_buf(seed);
  const key = signingKeyFromSeed("ed25519:bench", seed);
  const pdus: Pdu[] = [];
  for (let i = 0; i < n; i++) {
    const ev: JsonObject = {
      room_id: "!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ",
      sender: `@user${i % 100}:${SERVER}`,
      type: "m.room.message",
      origin_server_ts: 1_700_000_000_000 + i,
      depth: 10 + i,
      prev_events: [`$${Buffer.alloc(32, i % 251).toString("base64url")}`],
      auth_events: [
        `$${Buffer.alloc(32, 1).toString("base64url")}`,
        `$${Buffer.alloc(32, 2).toString("base64url")}`,
        `$${Buffer.alloc(32, 3).toString("base64url")}`,
      ],
      content: { msgtype: "m.text", body: `message ${i} `.padEnd(200, "lorem ipsum ") },
    };
    pdus.push(hashAndSignEvent(ev, VERSION, SERVER, key));
  }
  return { pdus, keys: { [SERVER]: { [key.keyId]: { key: key.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER } } } };
}

export function rawVerifyRate(pdus: Pdu[], keys: WireKeyMap, seconds: number): number {
  const pk = Buffer.from(Object.values(keys[SERVER]!)[0]!.key);
  const items = pdus.map((p) => ({
    msg: signedBytes(redact(p, VERSION)),
    sig: decodeBase64(Object.values(p.signatures[SERVER]!)[0]!)!,
  }));
  let n = 0;
  const start = process.hrtime.bigint();
  while (secondsSince(start) < seconds) {
    for (let i = 0; i < 200; i++) {
      const it = items[n % items.length]!;
      if (!sodium.crypto_sign_verify_detached(it.sig, it.msg, pk)) throw new Error("raw verify failed");
      n++;
    }
  }
  return n / secondsSince(start);
}

function inlineVerifyRate(pdus: Pdu[], keys: WireKeyMap, seconds: number): number {
  const lookup = (s: string, k: string) => keys[s]?.[k];
  let n = 0;
  const start = process.hrtime.bigint();
  while (secondsSince(start) < seconds) {
    const r = verifyEvent(pdus[n % pdus.length]!, VERSION, lookup);
    if (!r.signaturesOk || !r.contentHashOk) throw new Error("inline verify failed");
    n++;
  }
  return n / secondsSince(start);
}

/** Keep `inFlight` tasks running for `seconds`; returns events verified per second. */
async function poolRate(
  pool: CryptoPool,
  pdus: Pdu[],
  keys: WireKeyMap,
  batch: number,
  inFlight: number,
  seconds: number,
  form: "objects" | "json",
): Promise<number> {
  const versions = new Array<string>(batch).fill("12");
  const batches: Pdu[][] = [];
  for (let i = 0; i + batch <= pdus.length; i += batch) batches.push(pdus.slice(i, i + batch));
  const jsonBatches = batches.map((b) => JSON.stringify(b));
  let done = 0;
  let next = 0;
  const start = process.hrtime.bigint();
  const worker = async () => {
    while (secondsSince(start) < seconds) {
      const i = next++ % batches.length;
      const res =
        form === "objects"
          ? await pool.verifyEvents({ kind: "objects", pdus: batches[i]! }, versions, keys)
          : await pool.verifyEvents({ kind: "json", bytes: Buffer.from(jsonBatches[i]!), transfer: true }, versions, keys);
      if (!res.every((r) => r.signaturesOk && r.contentHashOk)) throw new Error("pool verify failed");
      done += res.length;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done / secondsSince(start);
}

async function taskOverhead(pool: CryptoPool, seconds: number): Promise<number> {
  let n = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: pool.size * 4 }, async () => {
      while (secondsSince(start) < seconds) {
        await pool.ping(n);
        n++;
      }
    }),
  );
  return n / secondsSince(start);
}

export const cryptoScenario: Scenario = {
  name: "crypto",
  description: "raw ed25519 limit vs inline event verification vs the pool at several batch and pool sizes",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const cores = os.availableParallelism();
    const secs = ctx.quick ? 0.5 : 2;
    ctx.progress.update("signing events");
    const { pdus, keys } = makeSignedMessages(ctx.quick ? 1000 : 4000);
    ctx.progress.update("raw single-thread verify");
    const raw = rawVerifyRate(pdus, keys, secs);
    const limit = cores * raw;
    ctx.progress.update("inline verifyEvent");
    const inline = inlineVerifyRate(pdus, keys, secs);

    const batchSizes = [1, 10, 50, 500];
    const rows: (string | number)[][] = [];
    const series: Series[] = [];
    const summary: Record<string, number | string> = {
      cores,
      raw_verify_per_s_single_thread: Math.round(raw),
      limit_cores_x_raw: Math.round(limit),
      inline_verify_event_per_s: Math.round(inline),
      inline_overhead_vs_raw: round3(raw / inline),
    };
    const steps = cores * batchSizes.length;
    let step = 0;
    for (let size = 1; size <= cores; size++) {
      const pool = new CryptoPool({ size, minChunk: 1 << 30 });
      await pool.ping(); // warm the workers up
      const s: Series = { label: `pool size ${size}`, points: [] };
      for (const batch of batchSizes) {
        ctx.progress.update(`pool size ${size}, batch ${batch}`, ++step, steps);
        const rate = await poolRate(pool, pdus, keys, batch, size * 2, secs, "objects");
        const ratio = rate / limit;
        rows.push([size, batch, Math.round(rate), round3(rate / (size * raw)), round3(ratio)]);
        s.points.push({ x: batch, y: Math.round(rate) });
        if (size === cores) summary[`ratio_pool${size}_batch${batch}`] = round3(ratio);
      }
      series.push(s);
      if (size === cores) {
        ctx.progress.update("task overhead and JSON transfer");
        const pings = await taskOverhead(pool, secs);
        summary.empty_tasks_per_s = Math.round(pings);
        summary.task_overhead_us = round3((1e6 * cores) / pings);
        const json50 = await poolRate(pool, pdus, keys, 50, size * 2, secs, "json");
        summary[`json_bytes_batch50_per_s`] = Math.round(json50);
        summary[`objects_batch50_per_s`] = rows.find((r) => r[0] === size && r[1] === 50)?.[2] ?? 0;
      }
      await pool.close();
    }
    const best = Math.max(...rows.filter((r) => (r[1] as number) >= 50 && r[0] === cores).map((r) => r[4] as number));
    summary.goal = "ratio ≥ 0.8 at batch ≥ 50";
    summary.best_ratio_batch_ge_50 = best;
    return {
      scenario: "crypto",
      summary,
      tables: [
        {
          title: "Pool event verification (hash + signature per event)",
          columns: ["pool size", "batch", "events/s", "per-worker ÷ raw", "÷ (cores × raw)"],
          rows,
        },
      ],
      charts: [{ title: "Pool event verification throughput", xLabel: "batch size", yLabel: "events/s", logX: true, series }],
      notes: [
        `Limit = cores × raw single-thread sodium verify rate = ${cores} × ${Math.round(raw)}/s, measured in this run.`,
        "The main thread of this process also dispatches tasks, so with pool size = cores the workers share the CPU with it.",
      ],
    };
  },
};
