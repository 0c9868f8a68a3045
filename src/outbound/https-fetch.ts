/**
 * One HTTPS request with the transport rules of the server-server API "TLS" section, shared by
 * the federation client and the `.well-known` fetch:
 * - the certificate must be valid for `certName` (the hostname or IP literal discovery says the
 *   target "must present a valid certificate for"), checked explicitly because the socket may
 *   connect to a different name (an SRV target);
 * - SNI is sent for DNS names and never for IP literals ("SNI is not supported and should not
 *   be sent");
 * - bounded: a deadline for the whole exchange and a cap on the response body.
 * Transport failures reject with `UnreachableError`; any HTTP status resolves.
 */
import type { IncomingHttpHeaders } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import tls, { type PeerCertificate } from "node:tls";
import { UnreachableError } from "./errors.js";

export interface HttpsTarget {
  /** Host to connect to: an IP literal (no brackets) or a DNS name resolved with `lookup`. */
  readonly host: string;
  readonly port: number;
  /** The name the certificate must be valid for (DNS name or IP literal). */
  readonly certName: string;
  /** `Host` header value. */
  readonly hostHeader: string;
}

export interface TlsPolicy {
  /** Verify the peer certificate (chain and name). Off only on isolated test networks. */
  readonly verify: boolean;
  /** Trust anchors replacing Node's defaults (callers append extras to `tls.rootCertificates`). */
  readonly ca?: readonly (string | Buffer)[];
}

export interface HttpsFetchOptions {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly tls: TlsPolicy;
  /** `false` for a one-off connection. */
  readonly agent: https.Agent | false;
  readonly lookup?: LookupFunction;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly signal?: AbortSignal;
  /** Name for errors (the destination server name). */
  readonly label: string;
}

export interface HttpsResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** SNI value: the name for DNS names, none (empty string disables it in Node) for IPs. */
export function sniFor(certName: string): string {
  return isIP(certName) ? "" : certName;
}

export function httpsFetch(target: HttpsTarget, options: HttpsFetchOptions): Promise<HttpsResponse> {
  const { label } = options;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const headers: Record<string, string> = { ...options.headers, Host: target.hostHeader };
  if (options.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(options.body));

  return new Promise<HttpsResponse>((resolve, reject) => {
    let settled = false;
    const fail = (reason: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      reject(new UnreachableError(label, reason, cause === undefined ? undefined : { cause }));
    };
    // A deadline anywhere up the chain (ours or the caller's AbortSignal.timeout) is a timeout.
    const abortReason = (): string =>
      (signal.reason as { name?: string } | undefined)?.name === "TimeoutError" ? `timed out after ${options.timeoutMs} ms` : "aborted";
    if (signal.aborted) {
      fail(abortReason());
      return;
    }
    const req = https.request({
      host: target.host,
      port: target.port,
      method: options.method,
      path: options.path,
      headers,
      agent: options.agent,
      servername: sniFor(target.certName),
      rejectUnauthorized: options.tls.verify,
      ...(options.tls.ca ? { ca: options.tls.ca as (string | Buffer)[] } : {}),
      checkServerIdentity: (_host: string, cert: PeerCertificate) => tls.checkServerIdentity(target.certName, cert),
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
    const onAbort = (): void => {
      fail(abortReason());
      req.destroy();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const done = (): void => signal.removeEventListener("abort", onAbort);

    req.on("error", (err: NodeJS.ErrnoException) => {
      done();
      fail(err.code ? `${err.code}: ${err.message}` : err.message, err);
    });
    req.on("response", (res) => {
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > options.maxResponseBytes) {
        done();
        fail(`response of ${declared} bytes exceeds the ${options.maxResponseBytes} byte limit`);
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxResponseBytes) {
          done();
          fail(`response exceeds the ${options.maxResponseBytes} byte limit`);
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on("error", (err) => {
        done();
        fail(err.message, err);
      });
      res.on("close", () => {
        if (res.complete) return;
        done();
        fail("connection closed before the response was complete");
      });
      res.on("end", () => {
        done();
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size) });
      });
    });
    req.end(options.body);
  });
}
