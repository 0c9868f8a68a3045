/**
 * A remote homeserver for the bench's load generator: its own server name
 * (127.0.0.1:<port>), ed25519 key published at /_matrix/key/v2/server over HTTPS, an
 * always-200 /send so Conflux can deliver to it, and X-Matrix-signed requests to the server
 * under test over a keep-alive connection pool.
 */
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { defaultConfig } from "../../src/config.js";
import { generateSigningKey } from "../../src/crypto/signing-keys.js";
import { generateSelfSignedCertificate } from "../../src/crypto/tls-cert.js";
import { computeEventId } from "../../src/events/hashes.js";
import type { RoomVersion } from "../../src/events/room-versions.js";
import { hashAndSignEvent } from "../../src/events/sign-event.js";
import type { SigningKey } from "../../src/events/signing-json.js";
import type { JsonObject, JsonValue, Pdu } from "../../src/events/types.js";
import { signRequest } from "../../src/federation/auth/request-json.js";
import { ServerKeyPublisher } from "../../src/federation/keys-server.js";
import { startListener, type Listener } from "../../src/http/listener.js";
import { json } from "../../src/http/request.js";
import { Router } from "../../src/http/router.js";

export interface RemoteIdentity {
  serverName: string;
  port: number;
  certPath: string;
  keyPath: string;
  /** `ed25519 <version> <seed>` (Synapse's key file format) */
  signingKeyPath: string;
}

/** Create a remote server's files (certificate, TLS key, signing key) without starting it. */
export function createRemoteIdentity(dir: string, port: number): RemoteIdentity {
  fs.mkdirSync(dir, { recursive: true });
  const serverName = `127.0.0.1:${port}`;
  const cert = generateSelfSignedCertificate(serverName);
  const certPath = path.join(dir, "tls.crt");
  const keyPath = path.join(dir, "tls.key");
  fs.writeFileSync(certPath, cert.certificatePem);
  fs.writeFileSync(keyPath, cert.privateKeyPem, { mode: 0o600 });
  const key = generateSigningKey();
  const signingKeyPath = path.join(dir, "signing.key");
  fs.writeFileSync(signingKeyPath, JSON.stringify({ keyId: key.keyId, seed: key.secretKey.subarray(0, 32).toString("base64") }));
  return { serverName, port, certPath, keyPath, signingKeyPath };
}

export function loadIdentityKey(id: RemoteIdentity, load: (keyId: string, seed: Buffer) => SigningKey): SigningKey {
  const { keyId, seed } = JSON.parse(fs.readFileSync(id.signingKeyPath, "utf8")) as { keyId: string; seed: string };
  return load(keyId, Buffer.from(seed, "base64"));
}

export interface HttpResult {
  status: number;
  body: unknown;
}

export interface RawHttpResult {
  status: number;
  body: Buffer;
  signMs: number;
  roundTripMs: number;
}

export class RemoteHomeserver {
  private readonly agent: https.Agent;

  private constructor(
    readonly id: RemoteIdentity,
    readonly key: SigningKey,
    private readonly listener: Listener,
    readonly target: { serverName: string; host: string; port: number },
    trustedCa: string | undefined,
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(trustedCa ? { ca: trustedCa } : { rejectUnauthorized: false }) });
  }

  static async start(
    id: RemoteIdentity,
    key: SigningKey,
    target: { serverName: string; host: string; port: number; caPath?: string },
  ): Promise<RemoteHomeserver> {
    const config = defaultConfig({ server_name: id.serverName, data_dir: path.dirname(id.certPath) });
    const publisher = new ServerKeyPublisher({ config, serverName: id.serverName, signingKey: key, oldVerifyKeys: {} });
    const router = new Router({ cors: false, defaultBodyLimit: 64 << 20 });
    router.get("/_matrix/key/v2/server", () => publisher.response());
    // Conflux delivers events to the servers in its rooms; accept them all.
    router.put("/_matrix/federation/v1/send/:txnId", () => json({ pdus: {} }), { body: "raw" });
    const listener = await startListener(router, {
      name: `remote-${id.port}`,
      host: "127.0.0.1",
      port: id.port,
      tls: { certificatePath: id.certPath, privateKeyPath: id.keyPath },
    });
    const ca = target.caPath ? fs.readFileSync(target.caPath, "utf8") : undefined;
    return new RemoteHomeserver(id, key, listener, target, ca);
  }

  get serverName(): string {
    return this.id.serverName;
  }

  userId(localpart: string): string {
    return `@${localpart}:${this.id.serverName}`;
  }

  /** An X-Matrix-signed request to the server under test. */
  async request(method: string, uri: string, content?: JsonValue): Promise<HttpResult> {
    const raw = await this.requestRaw(method, uri, content);
    const text = raw.body.toString("utf8");
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // leave as text
    }
    return { status: raw.status, body };
  }

  /**
   * The same, with the body left as bytes and the client's own costs apart from the round
   * trip: `signMs` (X-Matrix signing, before sending) and `roundTripMs` (request written →
   * last response byte; parsing the body is the caller's).
   */
  requestRaw(method: string, uri: string, content?: JsonValue): Promise<RawHttpResult> {
    const t0 = process.hrtime.bigint();
    const signed = signRequest({ method, uri, origin: this.id.serverName, destination: this.target.serverName }, this.key, content);
    const t1 = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: this.target.host,
          port: this.target.port,
          method,
          path: uri,
          agent: this.agent,
          servername: net.isIP(this.target.host) ? undefined : this.target.host,
          headers: {
            Authorization: signed.authorization,
            ...(signed.body !== undefined ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(signed.body) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const t2 = process.hrtime.bigint();
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks),
              signMs: Number(t1 - t0) / 1e6,
              roundTripMs: Number(t2 - t1) / 1e6,
            });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      if (signed.body !== undefined) req.end(signed.body);
      else req.end();
    });
  }

  /** make_join + sign + send_join v2 for one of our users. Returns the join event ID. */
  async join(roomId: string, localpart: string, versionOf: (id: string) => RoomVersion | undefined): Promise<string> {
    const userId = this.userId(localpart);
    const enc = encodeURIComponent;
    const made = await this.request("GET", `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(userId)}?ver=12&ver=11&ver=10`);
    if (made.status !== 200) throw new Error(`make_join ${made.status}: ${JSON.stringify(made.body)}`);
    const { event, room_version } = made.body as { event: JsonObject; room_version: string };
    const version = versionOf(room_version);
    if (!version) throw new Error(`unsupported room version ${room_version}`);
    const { pdu, eventId } = this.sign({ ...event, origin_server_ts: Date.now() }, version);
    const sent = await this.request("PUT", `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(eventId)}`, pdu as unknown as JsonValue);
    if (sent.status !== 200) throw new Error(`send_join ${sent.status}: ${JSON.stringify(sent.body)}`);
    return eventId;
  }

  sign(event: JsonObject, version: RoomVersion): { pdu: Pdu; eventId: string } {
    const pdu = hashAndSignEvent(event, version, this.id.serverName, this.key);
    return { pdu, eventId: computeEventId(pdu, version) };
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await this.listener.close(0);
  }
}
