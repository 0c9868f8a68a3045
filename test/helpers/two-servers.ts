/**
 * Two real Conflux servers federating with each other over HTTPS on loopback, each trusting
 * the other's self-signed certificate (DESIGN.md "Testing").
 *
 * Each node's federation port (hence its server name), certificate and data directory are
 * fixed before either starts, because each server's config must name the other's certificate,
 * and so that a node can stop and start again as the same server on the same data (a peer
 * that went away and came back). What a running node is (a bare TestServer, a fixture built on
 * one) is the caller's `launch`. Outbound retries are shortened so a peer coming back is
 * noticed within the test.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../../src/app.js";
import type { ConfigOverrides } from "../../src/config.js";
import { generateSelfSignedCertificate } from "../../src/crypto/tls-cert.js";
import { outboundOf } from "../../src/outbound/queue/index.js";
import type { SenderOptions } from "../../src/outbound/queue/sender.js";
import { freePort, type TestServerOptions } from "./server.js";
import { tempDir, type TempDir } from "./temp.js";

export interface Stoppable {
  stop(): Promise<void>;
}

export interface TwoServersOptions<T extends Stoppable> {
  /** Temp-dir prefix; the nodes' dirs end in `a-` and `b-`. */
  readonly prefix: string;
  /** Start one server with these options (they carry its dir, port and trusted peer cert). */
  readonly launch: (options: TestServerOptions) => Promise<T>;
  /** The App of a launched server. */
  readonly appOf: (node: T) => App;
  /** Outbound sender options on top of the short retries (e.g. `outageAfterFailures`). */
  readonly sender?: Partial<SenderOptions>;
}

/** Retry a peer that went away quickly (the defaults wait minutes). */
const QUICK_RETRIES: Partial<SenderOptions> = { baseRetryMs: 100, maxRetryMs: 500 };

/** One of the two servers: fixed port, name, certificate and data dir; started and stopped at will. */
export class FederatingNode<T extends Stoppable> {
  private current: T | undefined;
  private peerCertPath = "";

  private constructor(
    readonly port: number,
    readonly dir: TempDir,
    readonly certPath: string,
    private readonly opts: TwoServersOptions<T>,
  ) {}

  static async prepare<T extends Stoppable>(prefix: string, opts: TwoServersOptions<T>): Promise<FederatingNode<T>> {
    const port = await freePort();
    const dir = tempDir(prefix);
    const cert = generateSelfSignedCertificate(`127.0.0.1:${port}`);
    const certPath = join(dir.path, "tls.crt");
    writeFileSync(certPath, cert.certificatePem);
    writeFileSync(join(dir.path, "tls.key"), cert.privateKeyPem, { mode: 0o600 });
    return new FederatingNode(port, dir, certPath, opts);
  }

  /** `127.0.0.1:<port>`, the same across restarts. */
  get serverName(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The running server; throws while stopped. */
  get running(): T {
    if (this.current === undefined) throw new Error(`${this.serverName} is not running`);
    return this.current;
  }

  get app(): App {
    return this.opts.appOf(this.running);
  }

  trust(peer: FederatingNode<T>): void {
    this.peerCertPath = peer.certPath;
  }

  async start(): Promise<T> {
    const overrides: ConfigOverrides = { federation: { trusted_ca_paths: [this.peerCertPath] } } as ConfigOverrides;
    const node = await this.opts.launch({ dir: this.dir, federationPort: this.port, overrides });
    this.current = node;
    outboundOf(this.opts.appOf(node)).sender.setOptions({ ...QUICK_RETRIES, ...this.opts.sender });
    return node;
  }

  async stop(): Promise<void> {
    const node = this.current;
    this.current = undefined;
    await node?.stop();
  }
}

export interface TwoServers<T extends Stoppable> {
  readonly a: FederatingNode<T>;
  readonly b: FederatingNode<T>;
  /** Stop both and remove their data dirs (afterAll). */
  stop(): Promise<void>;
}

/** Prepare both nodes, then start A and B (in that order). */
export async function startTwoServers<T extends Stoppable>(opts: TwoServersOptions<T>): Promise<TwoServers<T>> {
  const a = await FederatingNode.prepare(`${opts.prefix}a-`, opts);
  const b = await FederatingNode.prepare(`${opts.prefix}b-`, opts);
  a.trust(b);
  b.trust(a);
  const pair: TwoServers<T> = {
    a,
    b,
    async stop() {
      try {
        await a.stop();
        await b.stop();
      } finally {
        a.dir.cleanup();
        b.dir.cleanup();
      }
    },
  };
  try {
    await a.start();
    await b.start();
  } catch (err) {
    await pair.stop();
    throw err;
  }
  return pair;
}
