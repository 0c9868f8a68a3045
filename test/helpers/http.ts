/**
 * HTTP(S) requests for tests: one fresh connection per request (no keep-alive agent, so a
 * stopped server never leaves sockets behind), the whole body buffered, TLS peer certificate
 * captured.
 */
import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import net from "node:net";
import type { PeerCertificate, TLSSocket } from "node:tls";

export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
  json<T = unknown>(): T;
  /** For https: the certificate the server presented. */
  readonly peerCertificate: PeerCertificate | undefined;
}

export interface TestRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  readonly body?: string | Buffer | object;
  /** Send the body with chunked transfer encoding instead of Content-Length. */
  readonly chunked?: boolean;
  /** PEM CA(s) to trust for https. */
  readonly ca?: string | Buffer;
  /** Default true; set false to accept any certificate. */
  readonly rejectUnauthorized?: boolean;
}

export function request(url: string, options: TestRequestOptions = {}): Promise<TestResponse> {
  const target = new URL(url);
  const isHttps = target.protocol === "https:";
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    payload = Buffer.isBuffer(options.body)
      ? options.body
      : Buffer.from(typeof options.body === "string" ? options.body : JSON.stringify(options.body));
  }
  const headers: Record<string, string> = { ...options.headers };
  if (payload && !options.chunked) headers["content-length"] = String(payload.length);
  const requestOptions: https.RequestOptions = {
    method: options.method ?? "GET",
    host: target.hostname.replace(/^\[|\]$/g, ""),
    port: target.port,
    path: `${target.pathname}${target.search}`,
    headers,
    agent: false,
    ...(isHttps ? { ca: options.ca, rejectUnauthorized: options.rejectUnauthorized ?? true } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (isHttps ? https : http).request(requestOptions, (res) => {
      const peerCertificate = isHttps ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        const text = body.toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: <T>() => JSON.parse(text) as T, peerCertificate });
      });
    });
    req.on("error", reject);
    if (payload && options.chunked) {
      // Two writes force chunked framing even for short bodies.
      req.write(payload.subarray(0, 1));
      req.end(payload.subarray(1));
    } else {
      req.end(payload);
    }
  });
}

/** Send raw bytes over a plain TCP connection and collect everything until the peer closes. */
export function rawHttp(port: number, data: string | Buffer, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host, port }, () => socket.write(data));
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}
