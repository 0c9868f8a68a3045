/**
 * Start and stop a Conflux server: data directory, signing key and TLS certificate (generated
 * on first start), the `App`, and two listeners each with its own router.
 *
 *   federation listener (HTTPS)        client listener (HTTP, or HTTPS with tls: true)
 *   FEDERATION_ROUTES                  CLIENT_ROUTES (CORS on every response)
 *
 * To add an endpoint family, export `registerXRoutes: RouteRegistrar` from its module and list
 * it below for the listener(s) it belongs on. Authentication hooks (X-Matrix, access tokens)
 * are installed with `router.setAuthenticator(...)` where marked.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { createApp, type App, type AppServices, type RouteRegistrar } from "./app.js";
import { registerClientVersionsRoutes } from "./client/versions.js";
import { registerClientWellKnownRoutes, registerServerWellKnownRoutes } from "./client/well-known.js";
import type { Config } from "./config.js";
import { loadOrCreateSigningKey, type SigningKey } from "./crypto/signing-keys.js";
import { ensureCertificate } from "./crypto/tls-cert.js";
import { CryptoPool } from "./crypto/pool.js";
import { federationAuthenticator } from "./federation/auth/verify-request.js";
import { registerKeyQueryRoutes } from "./federation/keys-query.js";
import { registerKeyServerRoutes } from "./federation/keys-server.js";
import { createFederationClient } from "./outbound/federation-client.js";
import { KeyRing } from "./outbound/key-fetcher.js";
import { registerOutboundQueue } from "./outbound/queue/index.js";
import { RoomService } from "./rooms/room-service.js";
import { Storage } from "./storage/storage.js";
import { registerFederationVersionRoutes } from "./federation/version.js";
import { startListener, type Listener } from "./http/listener.js";
import { Router } from "./http/router.js";
import { logger } from "./log.js";
import { registerFederationUserRoutes } from "./federation/users/routes.js";
import { registerClientAuthRoutes } from "./client/auth/routes.js";
import { clientAuthenticator } from "./client/auth/authenticator.js";
import { registerDeviceRoutes } from "./client/devices/routes.js";
import { registerKeysRoutes } from "./client/keys/routes.js";
import { registerProfileRoutes } from "./client/profile/routes.js";
import { registerCapabilitiesRoutes } from "./client/capabilities.js";
import { registerMembershipRoutes } from "./federation/membership/routes.js";

import { registerSendRoutes } from "./federation/send/routes.js";
import { registerFederationEventRoutes } from "./federation/events/routes.js";
import { registerDirectoryFederationRoutes } from "./directory/federation-routes.js";
import { registerDirectoryClientRoutes } from "./directory/client-routes.js";
import { registerClientRoomRoutes } from "./client/rooms/routes.js";
import { registerSyncRoutes } from "./client/sync/routes.js";
import { registerAccountDataRoutes } from "./client/account-data/routes.js";
import { registerPushRulesRoutes } from "./client/push-rules/routes.js";
import { registerKeyChangeSources } from "./client/keys/changes.js";
import { syncContextOf } from "./client/sync/context.js";
import { eduServices } from "./edu/index.js";
import { outboundOf } from "./outbound/queue/index.js";
import { Metrics } from "./metrics/metrics.js";
import { startMetricsListener, type MetricsListener } from "./metrics/listener.js";
import { registerServiceGauges } from "./metrics/service-gauges.js";

/** Served on the federation listener. Well-knowns live here: they are fetched from the server name's host. */
export const FEDERATION_ROUTES: readonly RouteRegistrar[] = [
  registerFederationVersionRoutes,
  registerMembershipRoutes,
  registerKeyServerRoutes,
  registerKeyQueryRoutes,
  registerFederationUserRoutes,
  registerServerWellKnownRoutes,
  registerClientWellKnownRoutes,
  registerOutboundQueue,
  registerSendRoutes,
  registerFederationEventRoutes,
  registerDirectoryFederationRoutes,
];

/** Served on the client listener. */
export const CLIENT_ROUTES: readonly RouteRegistrar[] = [
  registerClientVersionsRoutes,
  registerClientWellKnownRoutes,
  registerClientAuthRoutes,
  registerDeviceRoutes,
  registerKeysRoutes,
  registerProfileRoutes,
  registerCapabilitiesRoutes,
  registerDirectoryClientRoutes,
  registerClientRoomRoutes,
  registerSyncRoutes,
  registerAccountDataRoutes,
  registerPushRulesRoutes,
  registerKeyChangeSources,
];

export interface Server {
  readonly app: App;
  readonly federation: Listener;
  readonly client: Listener;
  readonly routers: { readonly federation: Router; readonly client: Router };
  /** The metrics listener, when `listeners.metrics.enabled`. */
  readonly metrics: MetricsListener | undefined;
  /**
   * Graceful stop, in this order (each step waits for the one before):
   *   1. stop accepting connections; release waiting long-polls (/sync);
   *   2. let in-flight requests finish, up to `graceMs` (default `shutdown_grace_ms`);
   *   3. stop background senders (outbound queues, EDU timers);
   *   4. drain room actors (their writes commit), close the crypto pool, close LMDB.
   * Everything acknowledged was committed before it was acknowledged, so a stop cut short by
   * a second signal loses nothing; this order only avoids failing requests that are mid-way.
   */
  stop(graceMs?: number): Promise<void>;
}

export interface FirstStartReport {
  readonly signingKeyCreated: boolean;
  readonly certificateCreated: boolean;
}

/** Create the data directory, key and certificate if missing. Idempotent. */
export function prepareDataDir(config: Config): FirstStartReport & { readonly key: SigningKey } {
  const log = logger("server");
  mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  const { key, created: signingKeyCreated } = loadOrCreateSigningKey(config.signing_key_path);
  if (signingKeyCreated) log.info({ path: config.signing_key_path, key_id: key.keyId }, "generated signing key");
  const cert = ensureCertificate(config.tls.certificate_path, config.tls.private_key_path, config.server_name);
  if (cert.created) log.info({ path: config.tls.certificate_path }, "generated self-signed TLS certificate");
  if (!cert.coversServerName) {
    log.warn({ path: config.tls.certificate_path, server_name: config.server_name }, "TLS certificate does not name the server; peers will reject it");
  }
  return { key, signingKeyCreated, certificateCreated: cert.created };
}

/** The database lives here, inside the data directory. */
export function databasePath(config: Config): string {
  return path.join(config.data_dir, "db");
}

/** Storage, crypto pool, rooms, outbound client and key ring, wired together. */
export function buildServices(config: Config, key: SigningKey): AppServices & { close(): Promise<void> } {
  const metrics = new Metrics();
  const storage = Storage.open(databasePath(config));
  const pool = new CryptoPool({ size: config.pool.size, maxQueue: config.pool.max_queue, identity: { serverName: config.server_name, key } });
  const rooms = new RoomService({ storage, pool, serverName: config.server_name, mailboxCapacity: config.limits.room_mailbox_capacity });
  rooms.onCommitted((ctx, infos) => {
    for (const info of infos) {
      metrics.storedEvents.inc({ status: info.status, origin: info.event.sender.endsWith(`:${ctx.serverName}`) ? "local" : "remote" });
    }
  });
  const federation = createFederationClient(config, key);
  const keyRing = new KeyRing({
    serverName: config.server_name,
    signingKey: key,
    oldVerifyKeys: config.old_signing_keys,
    storage,
    transport: federation,
    verifier: pool,
    notaries: config.federation.trusted_key_servers.map((n) => ({
      serverName: n.server_name,
      ...(n.verify_keys ? { verifyKeys: n.verify_keys } : {}),
    })),
  });
  return {
    storage,
    pool,
    rooms,
    federation,
    keyRing,
    metrics,
    async close() {
      // Lock order: finish room work (which writes), then the pool it signs with, then LMDB.
      await rooms.drain();
      rooms.close();
      federation.close();
      await pool.close();
      await storage.close();
    },
  };
}

export async function startServer(config: Config): Promise<Server> {
  const log = logger("server");
  const { key } = prepareDataDir(config);
  const services = buildServices(config, key);
  const { app, ports } = createApp(config, key, services);

  const routers = {
    federation: new Router({ cors: false, defaultBodyLimit: config.limits.max_request_body_bytes }),
    client: new Router({ cors: true, defaultBodyLimit: config.limits.max_request_body_bytes }),
  };
  for (const register of FEDERATION_ROUTES) register(routers.federation, app);
  for (const register of CLIENT_ROUTES) register(routers.client, app);
  routers.federation.setAuthenticator({
    federation: federationAuthenticator({ serverName: app.serverName, keys: app.keyRing, verifier: app.pool }),
  });
  routers.client.setAuthenticator({ client: clientAuthenticator(app) });

  const tls = { certificatePath: config.tls.certificate_path, privateKeyPath: config.tls.private_key_path };
  const observer = (listener: string) => (method: string, route: string, status: number, seconds: number) => {
    app.metrics.httpRequests.inc({ listener, method, route, status: String(status) });
    app.metrics.httpDuration.observe({ listener, route }, seconds);
  };
  const fed = config.listeners.federation;
  let federation: Listener;
  try {
    federation = await startListener(routers.federation, { name: "federation", host: fed.host, port: fed.port, tls, observe: observer("federation") });
  } catch (err) {
    await services.close();
    throw err;
  }
  ports.federation = federation.port;
  let client: Listener;
  try {
    const cl = config.listeners.client;
    client = await startListener(routers.client, { name: "client", host: cl.host, port: cl.port, ...(cl.tls ? { tls } : {}), observe: observer("client") });
  } catch (err) {
    await federation.close(0);
    await services.close();
    throw err;
  }
  ports.client = client.port;
  let metrics: MetricsListener | undefined;
  if (config.listeners.metrics.enabled) {
    registerServiceGauges(app.metrics, app);
    const m = config.listeners.metrics;
    try {
      metrics = await startMetricsListener(app.metrics, m.host, m.port);
    } catch (err) {
      await Promise.all([federation.close(0), client.close(0)]);
      await services.close();
      throw err;
    }
  }
  log.info({ server_name: config.server_name, federation_port: federation.port, client_port: client.port, metrics_port: metrics?.port }, "started");

  let stopping: Promise<void> | undefined;
  return {
    app,
    federation,
    client,
    routers,
    metrics,
    stop(graceMs = config.shutdown_grace_ms): Promise<void> {
      stopping ??= (async () => {
        const closing = Promise.all([federation.close(graceMs), client.close(graceMs)]);
        syncContextOf(app).notifier.close();
        await closing;
        outboundOf(app).close();
        eduServices(app).close();
        await metrics?.close();
        await services.close();
        log.info({ server_name: config.server_name }, "stopped");
      })();
      return stopping;
    },
  };
}
