/**
 * A remote homeserver double for federation tests: its own server name (127.0.0.1:<port>),
 * its own ed25519 key published at /_matrix/key/v2/server over real HTTPS, X-Matrix-signed
 * requests to the Conflux under test, and an event builder/signer. Tests add routes to
 * `router` to answer Conflux's own requests (get_missing_events, /state_ids, /event, …) and
 * inspect `received` to see what Conflux sent it.
 *
 * Conflux trusts its certificate through `federation.trusted_ca_paths` (see `conflux()`).
 */
import fs from "node:fs";
import path from "node:path";
import { computeEventId } from "../../src/events/hashes.js";
import { getRoomVersion, type RoomVersion } from "../../src/events/room-versions.js";
import { hashAndSignEvent } from "../../src/events/sign-event.js";
import type { SigningKey } from "../../src/events/signing-json.js";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import { signRequest } from "../../src/federation/auth/request-json.js";
import { ServerKeyPublisher } from "../../src/federation/keys-server.js";
import { defaultConfig, type ConfigOverrides } from "../../src/config.js";
import { generateSelfSignedCertificate } from "../../src/crypto/tls-cert.js";
import { generateSigningKey } from "../../src/crypto/signing-keys.js";
import { startListener, type Listener } from "../../src/http/listener.js";
import { Router } from "../../src/http/router.js";
import { json, type HttpRequest } from "../../src/http/request.js";
import { request, type TestResponse } from "./http.js";
import { freePort, startTestServer, type TestServer, type TestServerOptions } from "./server.js";
import { tempDir, type TempDir } from "./temp.js";

export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  origin: string | undefined;
}

export class FakeRemote {
  readonly received: ReceivedRequest[] = [];

  private constructor(
    readonly serverName: string,
    readonly key: SigningKey,
    readonly certPath: string,
    readonly router: Router,
    private readonly listener: Listener,
    private readonly dir: TempDir,
  ) {}

  /** Start a remote double on a free loopback port. */
  static async start(): Promise<FakeRemote> {
    const dir = tempDir("conflux-fake-remote-");
    const port = await freePort();
    const serverName = `127.0.0.1:${port}`;
    const cert = generateSelfSignedCertificate(serverName);
    const certPath = path.join(dir.path, "tls.crt");
    const keyPath = path.join(dir.path, "tls.key");
    fs.writeFileSync(certPath, cert.certificatePem);
    fs.writeFileSync(keyPath, cert.privateKeyPem, { mode: 0o600 });
    const key = generateSigningKey();
    const config = defaultConfig({ server_name: serverName, data_dir: dir.path });
    const publisher = new ServerKeyPublisher({ config, serverName, signingKey: key, oldVerifyKeys: {} });
    const router = new Router({ cors: false, defaultBodyLimit: 16 << 20 });
    router.get("/_matrix/key/v2/server", () => publisher.response());
    const listener = await startListener(router, {
      name: `fake-${port}`,
      host: "127.0.0.1",
      port,
      tls: { certificatePath: certPath, privateKeyPath: keyPath },
    });
    return new FakeRemote(serverName, key, certPath, router, listener, dir);
  }

  /** Answer `method path` (a router pattern) and record every call. */
  on(method: "GET" | "PUT" | "POST", pattern: string, handler: (req: HttpRequest) => JsonValue | Promise<JsonValue>, status = 200): void {
    this.router.add(
      method,
      pattern,
      async (req) => {
        this.received.push({ method: req.method, path: req.path, query: req.query, body: req.body, origin: undefined });
        return json(await handler(req), status);
      },
      { body: method === "GET" ? "none" : "json" },
    );
  }

  /** An X-Matrix-signed request from this server to `target`. */
  async send(target: TestServer, method: string, uri: string, content?: JsonValue, opts: { destination?: string } = {}): Promise<TestResponse> {
    const signed = signRequest({ method, uri, origin: this.serverName, destination: opts.destination ?? target.serverName }, this.key, content);
    return request(`${target.federationUrl}${uri}`, {
      method,
      headers: { Authorization: signed.authorization, ...(signed.body !== undefined ? { "Content-Type": "application/json" } : {}) },
      ...(signed.body !== undefined ? { body: signed.body } : {}),
      rejectUnauthorized: false,
    });
  }

  /** Hash and sign an event as this server. */
  sign(event: JsonObject, version: RoomVersion | string): { pdu: Pdu; eventId: string } {
    const v = typeof version === "string" ? getRoomVersion(version)! : version;
    const pdu = hashAndSignEvent(event, v, this.serverName, this.key);
    return { pdu, eventId: computeEventId(pdu, v) };
  }

  userId(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  async stop(): Promise<void> {
    await this.listener.close(0);
    this.dir.cleanup();
  }
}

/** Start a Conflux that trusts these remotes' certificates (and verifies TLS as in production). */
export function conflux(remotes: readonly FakeRemote[], options: TestServerOptions = {}): Promise<TestServer> {
  const overrides: ConfigOverrides = {
    ...(options.overrides ?? {}),
    federation: { trusted_ca_paths: remotes.map((r) => r.certPath), ...((options.overrides?.federation as object) ?? {}) },
  } as ConfigOverrides;
  return startTestServer({ ...options, overrides });
}
