/**
 * The two well-known discovery documents.
 *
 * - GET /.well-known/matrix/server (server-server API "Resolving server names" step 3,
 *   wellknown.yaml): `{"m.server": ...}` when `well_known.server` is configured, otherwise
 *   404 M_NOT_FOUND so resolvers fall through to SRV / the server name itself.
 * - GET /.well-known/matrix/client (client-server API "Well-known URIs", wellknown.yaml):
 *   `m.homeserver.base_url` from `well_known.client_base_url`, or derived from the client
 *   listener. Browsers fetch it cross-origin, so it carries CORS headers on every listener.
 */
import type { App, RouteRegistrar } from "../app.js";
import { Errors } from "../errors.js";
import { parseServerName } from "../events/ids.js";
import { json } from "../http/request.js";

export const registerServerWellKnownRoutes: RouteRegistrar = (router, app) => {
  const delegated = app.config.well_known.server;
  const response = delegated === undefined ? undefined : json({ "m.server": delegated });
  router.get("/.well-known/matrix/server", () => {
    if (!response) throw Errors.notFound("No server delegation configured");
    return response;
  });
};

export const registerClientWellKnownRoutes: RouteRegistrar = (router, app) => {
  router.get("/.well-known/matrix/client", () => json({ "m.homeserver": { base_url: clientBaseUrl(app) } }), { cors: true });
};

/**
 * Where clients reach us: the configured URL, else the client listener's address. A wildcard
 * bind address says nothing about reachability, so the server name's host stands in for it.
 */
export function clientBaseUrl(app: App): string {
  const configured = app.config.well_known.client_base_url;
  if (configured !== undefined) return configured;
  const listener = app.config.listeners.client;
  const port = app.ports.client || listener.port;
  const wildcard = listener.host === "0.0.0.0" || listener.host === "::" || listener.host === "[::]";
  const host = wildcard ? (parseServerName(app.serverName)?.host ?? listener.host) : listener.host.replace(/^\[|\]$/g, "");
  const hostText = host.includes(":") ? `[${host}]` : host;
  return `${listener.tls ? "https" : "http"}://${hostText}:${port}`;
}
