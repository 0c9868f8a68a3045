/**
 * What a client hears when a remote membership handshake (or backfill) on its behalf fails.
 *
 * | remote outcome                                   | client gets                              |
 * |--------------------------------------------------|------------------------------------------|
 * | 400 M_INVALID_PARAM / M_MISSING_PARAM            | 500 M_UNKNOWN (joins-v2.yaml,            |
 * |                                                  | invites-v2.yaml: "SHOULD fail with a 5xx |
 * |                                                  | error rather than being passed through") |
 * | 400 other errcode (M_INCOMPATIBLE_ROOM_VERSION,  | 400, same errcode and message, plus      |
 * | M_UNABLE_TO_AUTHORISE_JOIN, …)                   | `room_version` when given ("should be    |
 * |                                                  | passed through to clients")              |
 * | 403 (M_FORBIDDEN, M_INVITE_BLOCKED, …)           | 403, same errcode and message            |
 * | 404                                              | 404 M_NOT_FOUND                          |
 * | 429, 5xx, other statuses, non-JSON answers       | 502 M_UNKNOWN                            |
 * | unreachable: timeout                             | 504 M_UNKNOWN                            |
 * | unreachable: DNS, connect, TLS, reset, too large | 502 M_UNKNOWN                            |
 * | malformed answer (bad template, state that does  | 502 M_UNKNOWN                            |
 * | not verify or authorise our event, …)            |                                          |
 */
import { type ErrCode, MatrixError } from "../../errors.js";
import { RemoteError, UnreachableError } from "../errors.js";

/** A remote answered, but with something we must not use (spec: "treated as malformed"). */
export class InvalidRemoteResponse extends Error {
  constructor(
    readonly server: string,
    reason: string,
  ) {
    super(`${server}: ${reason}`);
    this.name = "InvalidRemoteResponse";
  }
}

const ERRCODE = /^[A-Z][A-Z0-9_]*$/;

function remoteMessage(err: RemoteError): string {
  const body = err.body;
  if (body && typeof body === "object" && typeof (body as { error?: unknown }).error === "string") return (body as { error: string }).error;
  return err.message;
}

/** The client-facing error for a failed remote operation (see the table above). */
export function toClientError(err: unknown, action: string): MatrixError {
  if (err instanceof MatrixError) return err;
  if (err instanceof RemoteError) {
    const message = remoteMessage(err);
    const code = err.errcode && ERRCODE.test(err.errcode) ? (err.errcode as ErrCode) : undefined;
    if (err.status === 400) {
      if (code === "M_INVALID_PARAM" || code === "M_MISSING_PARAM") {
        return new MatrixError(500, "M_UNKNOWN", `${action}: ${err.destination} refused our request as invalid (${code}: ${message})`);
      }
      const roomVersion = (err.body as { room_version?: unknown } | undefined)?.room_version;
      return new MatrixError(400, code ?? "M_UNKNOWN", message, typeof roomVersion === "string" ? { room_version: roomVersion } : undefined);
    }
    if (err.status === 403) return new MatrixError(403, code ?? "M_FORBIDDEN", message);
    if (err.status === 404) return new MatrixError(404, "M_NOT_FOUND", `${action}: ${err.destination}: ${message}`);
    return new MatrixError(502, "M_UNKNOWN", `${action}: ${err.destination} answered ${err.status}`);
  }
  if (err instanceof UnreachableError) {
    return new MatrixError(/timed out/.test(err.message) ? 504 : 502, "M_UNKNOWN", `${action}: ${err.message}`);
  }
  if (err instanceof InvalidRemoteResponse) return new MatrixError(502, "M_UNKNOWN", `${action}: invalid answer from ${err.message}`);
  return new MatrixError(500, "M_UNKNOWN", `${action}: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * Whether another resident server may succeed where this one failed. A refusal that speaks for
 * the room (403, an incompatible room version) ends the attempt; anything that could be this
 * server's view or health (unreachable, 5xx, unknown room, malformed answers, "try a different
 * server" codes) moves on to the next candidate.
 */
export function tryNextServer(err: unknown): boolean {
  if (err instanceof RemoteError) {
    if (err.status === 403) return false;
    if (err.status === 400) return err.errcode !== "M_INCOMPATIBLE_ROOM_VERSION";
    return true;
  }
  return err instanceof UnreachableError || err instanceof InvalidRemoteResponse;
}
