/**
 * Conflux as a child process for the bench: started from a generated config, waited for,
 * measured from outside (CPU seconds and peak RSS from /proc, which include the crypto pool's
 * threads), and stopped with SIGTERM so a `--cpu-prof` run writes its profiles.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const MAIN_JS = path.join(REPO_ROOT, "dist", "src", "main.js");

export interface ServerProcessOptions {
  dir: string;
  federationPort: number;
  clientPort: number;
  trustedCaPaths: string[];
  poolSize: number;
  /** Write `--cpu-prof` profiles (main thread and every worker thread) here. */
  profileDir?: string;
  /** Serve Prometheus metrics on this loopback port (`listeners.metrics`). */
  metricsPort?: number;
  /** Extra config keys (deep values replace). */
  extra?: Record<string, unknown>;
}

export class ServerProcess {
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly serverName: string,
    readonly dir: string,
    readonly federationPort: number,
    readonly clientPort: number,
    readonly metricsPort?: number,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  static async start(o: ServerProcessOptions): Promise<ServerProcess> {
    const serverName = `127.0.0.1:${o.federationPort}`;
    fs.mkdirSync(o.dir, { recursive: true });
    const config = {
      server_name: serverName,
      data_dir: o.dir,
      log_level: "warn",
      listeners: {
        federation: { host: "127.0.0.1", port: o.federationPort },
        client: { host: "127.0.0.1", port: o.clientPort },
        ...(o.metricsPort !== undefined ? { metrics: { enabled: true, host: "127.0.0.1", port: o.metricsPort } } : {}),
      },
      pool: { size: o.poolSize },
      registration: { open: true },
      federation: { trusted_ca_paths: o.trustedCaPaths },
      limits: { federation_max_concurrent_per_origin: 64, client_rate_per_second: 100000, client_rate_burst: 100000 },
      ...(o.extra ?? {}),
    };
    const configPath = path.join(o.dir, "homeserver.yaml");
    fs.writeFileSync(configPath, stringify(config));
    const args = [...(o.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${o.profileDir}`] : []), MAIN_JS, "start", "--config", configPath];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const proc = new ServerProcess(child, serverName, o.dir, o.federationPort, o.clientPort, o.metricsPort);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited during start: ${stderr}`);
      if (await proc.ready()) return proc;
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`server did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get certPath(): string {
    return path.join(this.dir, "tls.crt");
  }

  get clientUrl(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  private ready(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = https.get({ host: "127.0.0.1", port: this.federationPort, path: "/_matrix/federation/v1/version", rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
      req.setTimeout(1000, () => {
        req.destroy();
        resolve(false);
      });
    });
  }

  /** User + system CPU seconds of the whole process (all threads) so far. */
  cpuSeconds(): number {
    const stat = fs.readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
    return ticks / 100; // USER_HZ
  }

  /** Peak resident set size in bytes (VmHWM). */
  peakRssBytes(): number {
    const status = fs.readFileSync(`/proc/${this.child.pid}/status`, "utf8");
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  }

  /** Current resident set size in bytes (VmRSS). */
  rssBytes(): number {
    const status = fs.readFileSync(`/proc/${this.child.pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  }

  get metricsUrl(): string | undefined {
    return this.metricsPort === undefined ? undefined : `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
