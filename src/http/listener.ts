/**
 * One uWebSockets.js listening socket serving one `Router`: plain HTTP or TLS.
 *
 * Port 0 binds an ephemeral port; the real one is read back with `us_socket_local_port`.
 * `close()` stops accepting, lets in-flight requests finish (bounded), then closes every
 * remaining connection with `app.close()`, so tests can start and stop servers many times in
 * one process without leaking sockets.
 */
import { existsSync } from "node:fs";
import uWS from "uWebSockets.js";
import { logger } from "../log.js";
import { dispatch, type RequestObserver, InFlight } from "./dispatch.js";
import type { Router } from "./router.js";

export interface ListenerOptions {
  /** For logs: "federation", "client", … */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** PEM files; when set the listener speaks TLS. */
  readonly tls?: { readonly certificatePath: string; readonly privateKeyPath: string };
  /** Called when each request is answered (metrics). */
  readonly observe?: RequestObserver;
}

export interface Listener {
  readonly name: string;
  readonly host: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  readonly tls: boolean;
  /** Stop accepting, wait up to `graceMs` for in-flight requests, then drop all connections. */
  close(graceMs?: number): Promise<void>;
}

/** `App.close()` exists in this uWS build (v20.30) but is missing from its type declarations. */
interface ClosableApp extends uWS.TemplatedApp {
  close(): void;
}

export async function startListener(router: Router, options: ListenerOptions): Promise<Listener> {
  const log = logger(`http.${options.name}`);
  let app: uWS.TemplatedApp;
  if (options.tls) {
    // uWS would only print an error and then fail to listen; say which file is missing.
    for (const file of [options.tls.certificatePath, options.tls.privateKeyPath]) {
      if (!existsSync(file)) throw new Error(`${options.name} listener: TLS file not found: ${file}`);
    }
    app = uWS.SSLApp({ cert_file_name: options.tls.certificatePath, key_file_name: options.tls.privateKeyPath });
  } else {
    app = uWS.App();
  }
  const inFlight = new InFlight();
  const observe = options.observe;
  app.any("/*", (res, req) => dispatch(router, log, inFlight, res, req, observe));

  const socket = await new Promise<uWS.us_listen_socket | false>((resolve) => {
    app.listen(options.host, options.port, resolve);
  });
  if (!socket) throw new Error(`${options.name} listener: cannot listen on ${options.host}:${options.port}`);
  const port = uWS.us_socket_local_port(socket as unknown as uWS.us_socket);
  log.info({ host: options.host, port, tls: options.tls !== undefined }, "listening");

  let closing: Promise<void> | undefined;
  return {
    name: options.name,
    host: options.host,
    port,
    tls: options.tls !== undefined,
    close(graceMs = 10_000): Promise<void> {
      closing ??= (async () => {
        uWS.us_listen_socket_close(socket);
        await inFlight.whenIdle(graceMs);
        (app as ClosableApp).close();
        log.info({ host: options.host, port }, "closed");
      })();
      return closing;
    },
  };
}
