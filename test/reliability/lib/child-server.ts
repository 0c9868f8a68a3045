/**
 * Conflux as a child process (`node dist/src/main.js start --config …`), for tests that must
 * kill it, signal it or read its stdout: a data directory and two fixed loopback ports that
 * survive restarts (same server name, same database), stdout captured as JSON log lines,
 * stderr kept for diagnostics.
 *
 * The child gets no CONFLUX_* variables from our environment, so the configuration written
 * here is exactly what it runs with.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import http from "node:http";
import path from "node:path";
import { stringify } from "yaml";
import { CLI_ENTRY } from "../../helpers/build.js";

export interface ChildServerOptions {
  readonly dir: string;
  readonly federationPort: number;
  readonly clientPort: number;
  /** Deep-merged over the defaults below. */
  readonly config?: Record<string, unknown>;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ChildServer {
  /** Every stdout line so far (JSON log lines at the configured level). */
  readonly stdout: string[] = [];
  private stderrTail = "";
  private readonly exited: Promise<Exit>;

  private constructor(
    readonly child: ChildProcess,
    readonly options: ChildServerOptions,
    readonly configPath: string,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    let partial = "";
    child.stdout!.on("data", (d: Buffer) => {
      const lines = (partial + d.toString("utf8")).split("\n");
      partial = lines.pop()!;
      this.stdout.push(...lines.filter((l) => l !== ""));
    });
    child.stderr!.on("data", (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString("utf8")).slice(-8000)));
  }

  /** Write the configuration, spawn, and wait until both listeners answer. */
  static async start(options: ChildServerOptions): Promise<ChildServer> {
    fs.mkdirSync(options.dir, { recursive: true });
    const config = deepMerge(
      {
        server_name: `127.0.0.1:${options.federationPort}`,
        data_dir: options.dir,
        log_level: "warn",
        listeners: {
          federation: { host: "127.0.0.1", port: options.federationPort },
          client: { host: "127.0.0.1", port: options.clientPort },
        },
        pool: { size: 1 },
        registration: { open: true },
        limits: { client_rate_per_second: 100_000, client_rate_burst: 100_000 },
      },
      options.config ?? {},
    );
    const configPath = path.join(options.dir, "homeserver.yaml");
    fs.writeFileSync(configPath, stringify(config));
    if (await probe(http, { host: "127.0.0.1", port: options.clientPort, path: "/" }, true)) {
      throw new Error(`port ${options.clientPort} is still served (a previous server still running?)`);
    }
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("CONFLUX_")) env[k] = v;
    const child = spawn(process.execPath, [CLI_ENTRY, "start", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"], env });
    const server = new ChildServer(child, options, configPath);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited during start: ${server.stderrTail}`);
      if ((await server.ready()) === true) return server;
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`server did not start: ${server.stderrTail}`);
      }
      await sleep(50);
    }
  }

  get serverName(): string {
    return `127.0.0.1:${this.options.federationPort}`;
  }

  get federationUrl(): string {
    return `https://127.0.0.1:${this.options.federationPort}`;
  }

  get clientUrl(): string {
    return `http://127.0.0.1:${this.options.clientPort}`;
  }

  get certPath(): string {
    return path.join(this.options.dir, "tls.crt");
  }

  get databaseDir(): string {
    return path.join(this.options.dir, "db");
  }

  get stderr(): string {
    return this.stderrTail;
  }

  /** Parsed stdout log lines (non-JSON lines are skipped). */
  logs(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.stdout) {
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
    return out;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** The exit, or `undefined` if it has not happened within `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<Exit | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL and wait for the process to be gone. */
  async kill(): Promise<Exit> {
    this.signal("SIGKILL");
    return this.exited;
  }

  /** SIGTERM, and SIGKILL if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<Exit> {
    this.signal("SIGTERM");
    const exit = await this.waitExit(timeoutMs);
    return exit ?? this.kill();
  }

  private async ready(): Promise<boolean> {
    const fed = await probe(https, { host: "127.0.0.1", port: this.options.federationPort, path: "/_matrix/federation/v1/version", rejectUnauthorized: false });
    return fed && probe(http, { host: "127.0.0.1", port: this.options.clientPort, path: "/_matrix/client/versions" });
  }
}

/** Whether `options` answers 200 (or anything at all, with `any`). */
function probe(mod: typeof http | typeof https, options: https.RequestOptions, any = false): Promise<boolean> {
  return new Promise((resolve) => {
    const req = mod.get({ ...options, agent: false }, (res) => {
      res.resume();
      resolve(any || res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const prev = out[k];
    out[k] = isPlain(v) && isPlain(prev) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
