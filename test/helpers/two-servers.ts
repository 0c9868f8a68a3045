/**
 * Two (or more: `startCluster`) real Conflux servers federating with each other over HTTPS on
 * loopback, each trusting the others' self-signed certificates (DESIGN.md "Testing").
 *
 * Each node's federation port (hence its server name), client port, certificate and data
 * directory are fixed before any starts, because each server's config must name the others'
 * certificates, and so that a node can stop and start again as the same server on the same
 * data (a peer that went away and came back) at the same client URL (its clients reconnect). What a running node is (a bare TestServer, a fixture built on
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
  private peerCertPaths: string[] = [];

  private constructor(
    readonly host: string,
    readonly port: number,
    readonly clientPort: number,
    readonly dir: TempDir,
    readonly certPath: string,
    private readonly opts: TwoServersOptions<T>,
  ) {}

  /** `host`: the loopback address the node binds and names itself by (default 127.0.0.1). */
  static async prepare<T extends Stoppable>(prefix: string, opts: TwoServersOptions<T>, host = "127.0.0.1"): Promise<FederatingNode<T>> {
    const port = await freePort(host);
    let clientPort = await freePort(host);
    while (clientPort === port) clientPort = await freePort(host);
    const dir = tempDir(prefix);
    const cert = generateSelfSignedCertificate(`${host}:${port}`);
    const certPath = join(dir.path, "tls.crt");
    writeFileSync(certPath, cert.certificatePem);
    writeFileSync(join(dir.path, "tls.key"), cert.privateKeyPem, { mode: 0o600 });
    return new FederatingNode(host, port, clientPort, dir, certPath, opts);
  }

  /** `<host>:<port>`, the same across restarts. */
  get serverName(): string {
    return `${this.host}:${this.port}`;
  }

  /** The running server; throws while stopped. */
  get running(): T {
    if (this.current === undefined) throw new Error(`${this.serverName} is not running`);
    return this.current;
  }

  get app(): App {
    return this.opts.appOf(this.running);
  }

  trust(...peers: FederatingNode<T>[]): void {
    this.peerCertPaths = peers.map((p) => p.certPath);
  }

  async start(): Promise<T> {
    const overrides: ConfigOverrides = { federation: { trusted_ca_paths: this.peerCertPaths } } as ConfigOverrides;
    const node = await this.opts.launch({ dir: this.dir, federationPort: this.port, clientPort: this.clientPort, host: this.host, overrides });
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
  const cluster = await startCluster({ ...opts, hosts: ["127.0.0.1", "127.0.0.1"] });
  const [a, b] = cluster.nodes as [FederatingNode<T>, FederatingNode<T>];
  return { a, b, stop: () => cluster.stop() };
}

export interface ClusterOptions<T extends Stoppable> extends TwoServersOptions<T> {
  /** One loopback address per node; node i's data dir ends in the i-th letter (`a-`, `b-`, …). */
  readonly hosts: readonly string[];
}

export interface Cluster<T extends Stoppable> {
  readonly nodes: readonly FederatingNode<T>[];
  /** Stop every node and remove their data dirs (afterAll). */
  stop(): Promise<void>;
}

/** Prepare every node (each trusting all the others), then start them in order. */
export async function startCluster<T extends Stoppable>(opts: ClusterOptions<T>): Promise<Cluster<T>> {
  const nodes: FederatingNode<T>[] = [];
  for (const [i, host] of opts.hosts.entries()) nodes.push(await FederatingNode.prepare(`${opts.prefix}${String.fromCharCode(97 + i)}-`, opts, host));
  for (const node of nodes) node.trust(...nodes.filter((n) => n !== node));
  const cluster: Cluster<T> = {
    nodes,
    async stop() {
      try {
        for (const node of nodes) await node.stop();
      } finally {
        for (const node of nodes) node.dir.cleanup();
      }
    },
  };
  try {
    for (const node of nodes) await node.start();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
