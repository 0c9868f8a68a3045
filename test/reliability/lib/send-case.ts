/**
 * Send one generated malformed request (malformed-cases.ts) exactly as described, and judge
 * the answer.
 */
import type { SigningKey } from "../../../src/events/signing-json.js";
import type { JsonValue } from "../../../src/events/types.js";
import { signRequest } from "../../../src/federation/auth/request-json.js";
import type { Case } from "./malformed-cases.js";
import { rawExchange, type RawResponse } from "./raw-http.js";

export interface CaseTarget {
  readonly serverName: string;
  readonly federationUrl: string;
  readonly clientUrl: string;
  /** The remote whose name and key sign federation requests. */
  readonly remote: { readonly serverName: string; readonly key: SigningKey };
}

export function sendCase(c: Case, t: CaseTarget): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  const body = c.body;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const auth = c.auth;
  switch (auth.kind) {
    case "none":
      break;
    case "token":
      headers.Authorization = `Bearer ${auth.token}`;
      break;
    case "header":
      headers.Authorization = auth.value;
      break;
    case "x-matrix": {
      let content: JsonValue | undefined = auth.signedContent;
      if (content === undefined && body !== undefined && body.length > 0) {
        try {
          content = JSON.parse(body.toString("utf8")) as JsonValue;
        } catch {
          content = undefined; // not JSON: nothing a signature could cover
        }
      }
      let authorization: string;
      try {
        authorization = signRequest(
          { method: c.method, uri: auth.signedUri ?? c.uri, origin: auth.origin ?? t.remote.serverName, destination: auth.destination ?? t.serverName },
          auth.key ?? t.remote.key,
          content,
        ).authorization;
      } catch {
        // Too deep for canonical JSON here: a signature over nothing stands in.
        authorization = signRequest({ method: c.method, uri: c.uri, origin: t.remote.serverName, destination: t.serverName }, t.remote.key).authorization;
      }
      headers.Authorization = authorization;
      break;
    }
  }
  let bodyPart: Buffer | undefined = body;
  if (c.chunked && body !== undefined) {
    headers["Transfer-Encoding"] = "chunked";
    bodyPart = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n0\r\n\r\n")]);
  } else if (c.declaredLength !== undefined) {
    headers["Content-Length"] = String(c.declaredLength);
  } else if (body !== undefined) {
    headers["Content-Length"] = String(body.length);
  }
  return rawExchange({
    url: c.listener === "federation" ? t.federationUrl : t.clientUrl,
    method: c.method,
    path: c.uri,
    headers,
    ...(bodyPart !== undefined ? { bodyPart } : {}),
  });
}

/** Why the answer is wrong for the case, or `undefined` when it is right. */
export function judge(c: Case, res: RawResponse): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return `${res.status} with a body that is not JSON: ${res.body.slice(0, 120)}`;
  }
  if (c.expect === "pdu-errors") {
    const pdus = (body as { pdus?: Record<string, { error?: unknown }> }).pdus;
    if (res.status !== 200 || !pdus) return `${res.status} ${res.body.slice(0, 160)} (expected 200 with PDU errors)`;
    const ok = Object.entries(pdus).filter(([, r]) => typeof r.error !== "string");
    return ok.length > 0 ? `PDUs accepted: ${ok.map(([id]) => id).join(", ")}` : undefined;
  }
  const b = body as { errcode?: unknown; error?: unknown };
  if (res.status < 400 || res.status > 499) return `${res.status} ${res.body.slice(0, 160)}`;
  if (typeof b.errcode !== "string" || !/^M_[A-Z0-9_]+$/.test(b.errcode) || typeof b.error !== "string") {
    return `${res.status} without a Matrix error body: ${res.body.slice(0, 160)}`;
  }
  return undefined;
}
