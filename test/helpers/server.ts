/**
 * Start a real Conflux server for a test: temp data dir, 127.0.0.1 (or another loopback address), an IP-literal server name
 * whose port is the federation listener's, client listener on an ephemeral port.
 */
import net from "node:net";
import { defaultConfig, type Config, type ConfigOverrides } from "../../src/config.js";
import { setLogLevel } from "../../src/log.js";
import { startServer, type Server } from "../../src/server.js";
import { tempDir, type TempDir } from "./temp.js";

export interface TestServer {
  readonly server: Server;
  readonly config: Config;
  readonly dir: TempDir;
  /** `127.0.0.1:<federation port>` */
  readonly serverName: string;
  /** `https://127.0.0.1:<port>` */
  readonly federationUrl: string;
  /** `http://127.0.0.1:<port>` (https with `listeners.client.tls`) */
  readonly clientUrl: string;
  /** Stop the server; removes the data dir unless it was passed in. */
  stop(): Promise<void>;
}

export interface TestServerOptions {
  readonly overrides?: ConfigOverrides;
  /** Reuse a data directory (e.g. to test a restart); it is then not removed on stop. */
  readonly dir?: TempDir;
  /** Reuse a federation port (restart with the same server name). */
  readonly federationPort?: number;
  /**
   * Loopback address both listeners bind and the server name's host (default 127.0.0.1).
   * Other 127.x addresses give servers names that differ without their port, which server
   * ACLs need (they match names with the port removed).
   */
  readonly host?: string;
  /** A fixed client listener port (a restarted server keeps its clients' base URL); default ephemeral. */
  readonly clientPort?: number;
}

// Test output stays readable unless a run asks for logs explicitly.
if (process.env.CONFLUX_LOG_LEVEL === undefined) setLogLevel("warn");

/** A port that was free a moment ago (the server name must name the port before binding). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? tempDir();
  const host = options.host ?? "127.0.0.1";
  let lastError: unknown;
  // Another process may grab the probed port before we bind it; try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.federationPort ?? (await freePort(host));
    const serverName = `${host}:${port}`;
    const config = defaultConfig(
      deepMerge(
        {
          server_name: serverName,
          data_dir: dir.path,
          listeners: { federation: { host, port }, client: { host, port: options.clientPort ?? 0 } },
          pool: { size: 1 },
        },
        options.overrides ?? {},
      ),
    );
    try {
      const server = await startServer(config);
      return {
        server,
        config,
        dir,
        serverName,
        federationUrl: `https://${host}:${server.federation.port}`,
        clientUrl: `${config.listeners.client.tls ? "https" : "http"}://${host}:${server.client.port}`,
        async stop() {
          await server.stop(0);
          if (!options.dir) dir.cleanup();
        },
      };
    } catch (err) {
      lastError = err;
      if (options.federationPort !== undefined || !/cannot listen/.test(String(err))) break;
    }
  }
  if (!options.dir) dir.cleanup();
  throw lastError;
}

function deepMerge<T extends object>(base: T, extra: object): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(extra)) {
    const prev = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && prev && typeof prev === "object" && !Array.isArray(prev)
        ? deepMerge(prev as object, v as object)
        : v;
  }
  return out as T;
}
