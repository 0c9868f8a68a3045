/**
 * The `client` scenario's /sync waiters: a separate process holding one long-polling /sync per
 * user, so the runner's event loop (which sends the message and keeps the clock) is not the one
 * that receives a thousand responses at once.
 *
 *   runner ── plan.json ──► waiters: initial /sync per user (its `since` token)
 *          ◄── "READY" ────
 *          ── "ARM <marker>" ► every user issues GET /sync?since=…&timeout=… (long-poll)
 *          ◄── "ARMED" ──── (every request written to its socket)
 *          (runner waits for the server to park them, notes t0, sends one message whose body
 *           is <marker>)
 *          ◄── "ROUND {json}" when every user's /sync has returned with that message:
 *              arrival times (process.hrtime.bigint(), CLOCK_MONOTONIC: the same clock in both
 *              processes on Linux), early returns, this process's event-loop utilisation
 *          ── "QUIT" ─────►
 *
 * Arrival = the response head, stamped before any body is parsed: parsing is deferred to a
 * setImmediate so one response's JSON.parse does not delay the next one's timestamp. A /sync
 * that returns without the marker (the filter let something else through) is re-issued with
 * its new `since`; the arrival is the response that carries the marker.
 */
import fs from "node:fs";
import http from "node:http";
import { performance } from "node:perf_hooks";
import readline from "node:readline";

export interface SyncWaitersPlan {
  baseUrl: string;
  roomId: string;
  users: { userId: string; accessToken: string }[];
  /** Long-poll timeout (ms). */
  timeoutMs: number;
  /** Inline filter JSON for every /sync. */
  filter: string;
  /** Initial /syncs in flight at once. */
  initialConcurrency: number;
}

export interface SyncWaitersRound {
  /** process.hrtime.bigint() at each user's arrival, as decimal strings (user order). */
  arrivals: string[];
  /** /sync responses that came back without the marker (re-issued). */
  early: number;
  /** This process's event-loop utilisation from ARM to the last arrival (0–1). */
  elu: number;
  /** CPU milliseconds this process used in that time. */
  cpuMs: number;
}

interface Waiter {
  userId: string;
  token: string;
  since: string;
}

interface Received {
  waiter: number;
  at: bigint;
  status: number;
  body: Buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function emit(line: string): void {
  process.stdout.write(`${line}\n`);
}

function syncPath(plan: SyncWaitersPlan, since: string | undefined, timeoutMs: number): string {
  const q = new URLSearchParams({ timeout: String(timeoutMs), set_presence: "offline", filter: plan.filter });
  if (since !== undefined) q.set("since", since);
  return `/_matrix/client/v3/sync?${q}`;
}

/** GET /sync; `onArrive` gets the response-head time and the raw body. */
function getSync(plan: SyncWaitersPlan, token: string, path: string, onArrive: (at: bigint, status: number, body: Buffer) => void, onError: (e: Error) => void): Promise<void> {
  return new Promise((written) => {
    const req = http.request(new URL(path, plan.baseUrl), { method: "GET", agent, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const at = process.hrtime.bigint();
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => onArrive(at, res.statusCode ?? 0, Buffer.concat(chunks)));
      res.on("error", onError);
    });
    req.on("error", onError);
    req.on("finish", () => written());
    req.end();
  });
}

async function initialSyncs(plan: SyncWaitersPlan): Promise<Waiter[]> {
  const out: Waiter[] = [];
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < plan.users.length) {
      const i = next++;
      const u = plan.users[i]!;
      const body = await new Promise<Buffer>((resolve, reject) => {
        void getSync(plan, u.accessToken, syncPath(plan, undefined, 0), (_at, status, b) => (status === 200 ? resolve(b) : reject(new Error(`initial sync HTTP ${status}: ${b.toString().slice(0, 200)}`))), reject);
      });
      out[i] = { userId: u.userId, token: u.accessToken, since: (JSON.parse(body.toString("utf8")) as { next_batch: string }).next_batch };
    }
  };
  await Promise.all(Array.from({ length: plan.initialConcurrency }, one));
  return out;
}

function hasMarker(body: Record<string, unknown>, roomId: string, marker: string): boolean {
  const room = (body.rooms as { join?: Record<string, { timeline?: { events?: { content?: { body?: unknown } }[] } }> } | undefined)?.join?.[roomId];
  return room?.timeline?.events?.some((e) => e.content?.body === marker) ?? false;
}

/** One round: every waiter long-polls until its /sync returns the marker. */
function round(plan: SyncWaitersPlan, waiters: Waiter[], marker: string, onArmed: () => void): Promise<SyncWaitersRound> {
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const arrivals: (bigint | undefined)[] = waiters.map(() => undefined);
  let pending = waiters.length;
  let early = 0;
  const queue: Received[] = [];
  let flushScheduled = false;
  return new Promise((resolve, reject) => {
    const issue = (i: number): Promise<void> =>
      getSync(
        plan,
        waiters[i]!.token,
        syncPath(plan, waiters[i]!.since, plan.timeoutMs),
        (at, status, body) => {
          queue.push({ waiter: i, at, status, body });
          if (!flushScheduled) {
            flushScheduled = true;
            setImmediate(flush);
          }
        },
        reject,
      );
    const flush = () => {
      flushScheduled = false;
      for (const r of queue.splice(0)) {
        if (r.status !== 200) return reject(new Error(`sync HTTP ${r.status}: ${r.body.toString().slice(0, 200)}`));
        const body = JSON.parse(r.body.toString("utf8")) as Record<string, unknown>;
        waiters[r.waiter]!.since = body.next_batch as string;
        if (hasMarker(body, plan.roomId, marker)) {
          arrivals[r.waiter] = r.at;
          if (--pending === 0) {
            const elu = performance.eventLoopUtilization(elu0);
            const cpu = process.cpuUsage(cpu0);
            resolve({ arrivals: arrivals.map((a) => String(a)), early, elu: elu.utilization, cpuMs: (cpu.user + cpu.system) / 1000 });
          }
        } else {
          early++;
          void issue(r.waiter);
        }
      }
    };
    void Promise.all(waiters.map((_, i) => issue(i))).then(onArmed);
  });
}

async function main(): Promise<void> {
  const plan = JSON.parse(fs.readFileSync(process.argv[2]!, "utf8")) as SyncWaitersPlan;
  const waiters = await initialSyncs(plan);
  emit("READY");
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [cmd, arg] = line.trim().split(" ");
    if (cmd === "QUIT") break;
    if (cmd === "ARM" && arg) {
      const result = await round(plan, waiters, arg, () => emit("ARMED"));
      emit(`ROUND ${JSON.stringify(result)}`);
    }
  }
  agent.destroy();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`sync waiters failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
