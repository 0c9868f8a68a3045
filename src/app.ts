/**
 * `App`: the services handlers use, built once by `startServer` and handed to every route
 * module. Add a field here and construct it in `src/server.ts`; handlers never reach for
 * globals.
 */
import type { Config } from "./config.js";
import type { CryptoPool } from "./crypto/pool.js";
import type { OldVerifyKey } from "./crypto/signing-keys.js";
import type { SigningKey } from "./events/signing-json.js";
import type { Router } from "./http/router.js";
import { logger, type Logger } from "./log.js";
import type { Metrics } from "./metrics/metrics.js";
import type { FederationClient } from "./outbound/federation-client.js";
import type { KeyRing } from "./outbound/key-fetcher.js";
import type { RoomService } from "./rooms/room-service.js";
import type { Storage } from "./storage/storage.js";

export interface BoundPorts {
  /** 0 until the listener is bound; differs from the config when it asked for port 0. */
  federation: number;
  client: number;
}

/** The services `startServer` builds before the `App` exists. */
export interface AppServices {
  /** LMDB: events, rooms, state, keys, … (src/storage/). */
  readonly storage: Storage;
  /** Hashing, signing, verification and password hashing off the main thread. */
  readonly pool: CryptoPool;
  /** Room actors: every change to a room goes through here. */
  readonly rooms: RoomService;
  /** Outbound federation requests (X-Matrix signed, server discovery, TLS policy). */
  readonly federation: FederationClient;
  /** Remote servers' signing keys: LMDB cache, direct fetch, notaries. */
  readonly keyRing: KeyRing;
  /** Prometheus metrics of this server (its own registry). */
  readonly metrics: Metrics;
}

export interface App extends AppServices {
  readonly config: Config;
  /** `config.server_name`, the name we sign as and that appears in our IDs. */
  readonly serverName: string;
  /** The active signing key (`verify_keys`, request and event signatures). */
  readonly signingKey: SigningKey;
  /** Retired keys, published as `old_verify_keys` (key ID → public key + expiry). */
  readonly oldVerifyKeys: Readonly<Record<string, OldVerifyKey>>;
  readonly log: Logger;
  readonly ports: Readonly<BoundPorts>;
}

/**
 * The route-registration pattern: each endpoint family exports one
 * `registerXRoutes(router, app)` and `src/server.ts` lists it for the listener(s) it belongs on.
 */
export type RouteRegistrar = (router: Router, app: App) => void;

/** Build the `App`; `ports` is returned separately so only the server can fill it in. */
export function createApp(config: Config, signingKey: SigningKey, services: AppServices): { app: App; ports: BoundPorts } {
  const ports: BoundPorts = { federation: 0, client: 0 };
  const app: App = {
    config,
    serverName: config.server_name,
    signingKey,
    oldVerifyKeys: config.old_signing_keys,
    log: logger("app", { server_name: config.server_name }),
    ports,
    ...services,
  };
  return { app, ports };
}
