/**
 * The one error type of Conflux.
 *
 * Every failure that can reach a client or a remote server is a `MatrixError`: an errcode
 * from the spec's catalogue, the HTTP status the spec names for it, a human message, and
 * optional extra body fields (e.g. `room_version` on M_INCOMPATIBLE_ROOM_VERSION,
 * `retry_after_ms` on M_LIMIT_EXCEEDED). `src/http/respond.ts` is the only place that turns
 * one into a response.
 *
 * Spec: client-server API "Standard error response" and "Common error codes"; server-server
 * endpoints `$ref` the same shape.
 */

export type ErrCode =
  | "M_FORBIDDEN"
  | "M_UNKNOWN_TOKEN"
  | "M_MISSING_TOKEN"
  | "M_USER_LOCKED"
  | "M_USER_SUSPENDED"
  | "M_BAD_JSON"
  | "M_NOT_JSON"
  | "M_NOT_FOUND"
  | "M_LIMIT_EXCEEDED"
  | "M_UNRECOGNIZED"
  | "M_UNKNOWN"
  | "M_UNAUTHORIZED"
  | "M_USER_DEACTIVATED"
  | "M_USER_IN_USE"
  | "M_INVALID_USERNAME"
  | "M_ROOM_IN_USE"
  | "M_BAD_ALIAS"
  | "M_INVALID_ROOM_STATE"
  | "M_UNSUPPORTED_ROOM_VERSION"
  | "M_INCOMPATIBLE_ROOM_VERSION"
  | "M_BAD_STATE"
  | "M_GUEST_ACCESS_FORBIDDEN"
  | "M_MISSING_PARAM"
  | "M_INVALID_PARAM"
  | "M_TOO_LARGE"
  | "M_EXCLUSIVE"
  | "M_RESOURCE_LIMIT_EXCEEDED"
  | "M_UNABLE_TO_AUTHORISE_JOIN"
  | "M_UNABLE_TO_GRANT_JOIN"
  | "M_INVITE_BLOCKED"
  | "M_WEAK_PASSWORD"
  | "M_SERVER_NOT_TRUSTED"
  | "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM"
  | "M_PROFILE_TOO_LARGE"
  | "M_KEY_TOO_LARGE";

export type ErrorExtra = Record<string, unknown>;

export class MatrixError extends Error {
  readonly status: number;
  readonly errcode: ErrCode;
  readonly extra: ErrorExtra | undefined;

  constructor(status: number, errcode: ErrCode, message: string, extra?: ErrorExtra) {
    super(message);
    this.name = "MatrixError";
    this.status = status;
    this.errcode = errcode;
    this.extra = extra;
  }

  /** The JSON body the spec defines: `{"errcode", "error", ...extra}`. */
  body(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...(this.extra ?? {}) };
  }
}

export function isMatrixError(e: unknown): e is MatrixError {
  return e instanceof MatrixError;
}

// The catalogue. Each constructor fixes the status the spec pairs with the code; callers
// only say why.
export const Errors = {
  forbidden: (msg: string, extra?: ErrorExtra) => new MatrixError(403, "M_FORBIDDEN", msg, extra),
  unknownToken: (msg = "Unrecognised access token", softLogout = false) =>
    new MatrixError(401, "M_UNKNOWN_TOKEN", msg, softLogout ? { soft_logout: true } : undefined),
  missingToken: (msg = "Missing access token") => new MatrixError(401, "M_MISSING_TOKEN", msg),
  badJson: (msg: string) => new MatrixError(400, "M_BAD_JSON", msg),
  notJson: (msg = "Content not JSON") => new MatrixError(400, "M_NOT_JSON", msg),
  notFound: (msg: string) => new MatrixError(404, "M_NOT_FOUND", msg),
  limitExceeded: (retryAfterMs: number, msg = "Too many requests") =>
    new MatrixError(429, "M_LIMIT_EXCEEDED", msg, { retry_after_ms: Math.max(0, Math.ceil(retryAfterMs)) }),
  unrecognized: (msg = "Unrecognized request") => new MatrixError(404, "M_UNRECOGNIZED", msg),
  methodNotAllowed: (msg = "Method not allowed") => new MatrixError(405, "M_UNRECOGNIZED", msg),
  unknown: (msg: string, status = 400) => new MatrixError(status, "M_UNKNOWN", msg),
  internal: (msg = "Internal server error") => new MatrixError(500, "M_UNKNOWN", msg),
  unavailable: (msg = "Service unavailable") => new MatrixError(503, "M_UNKNOWN", msg),
  unauthorized: (msg: string) => new MatrixError(401, "M_UNAUTHORIZED", msg),
  userDeactivated: (msg = "User is deactivated") => new MatrixError(403, "M_USER_DEACTIVATED", msg),
  userInUse: (msg = "User ID already taken") => new MatrixError(400, "M_USER_IN_USE", msg),
  invalidUsername: (msg: string) => new MatrixError(400, "M_INVALID_USERNAME", msg),
  roomInUse: (msg = "Room alias already taken") => new MatrixError(400, "M_ROOM_IN_USE", msg),
  invalidRoomState: (msg: string) => new MatrixError(400, "M_INVALID_ROOM_STATE", msg),
  unsupportedRoomVersion: (msg: string) => new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", msg),
  incompatibleRoomVersion: (roomVersion: string, msg?: string) =>
    new MatrixError(
      400,
      "M_INCOMPATIBLE_ROOM_VERSION",
      msg ?? `Your homeserver does not support the features required to interact with this room (version ${roomVersion})`,
      { room_version: roomVersion },
    ),
  badState: (msg: string) => new MatrixError(403, "M_BAD_STATE", msg),
  guestAccessForbidden: (msg = "Guest access forbidden") => new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", msg),
  missingParam: (msg: string) => new MatrixError(400, "M_MISSING_PARAM", msg),
  invalidParam: (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg),
  tooLarge: (msg = "Request body too large") => new MatrixError(413, "M_TOO_LARGE", msg),
  exclusive: (msg: string) => new MatrixError(400, "M_EXCLUSIVE", msg),
  unableToAuthoriseJoin: (msg: string) => new MatrixError(400, "M_UNABLE_TO_AUTHORISE_JOIN", msg),
  unableToGrantJoin: (msg: string) => new MatrixError(400, "M_UNABLE_TO_GRANT_JOIN", msg),
  inviteBlocked: (msg = "The invitee does not accept invites from you") =>
    new MatrixError(403, "M_INVITE_BLOCKED", msg),
  weakPassword: (msg: string) => new MatrixError(400, "M_WEAK_PASSWORD", msg),
  serverNotTrusted: (msg: string) => new MatrixError(400, "M_SERVER_NOT_TRUSTED", msg),
  // profile.yaml (v1.16): PUT /profile/{userId}/{keyName}.
  profileTooLarge: (msg = "The profile would exceed 64 KiB") => new MatrixError(400, "M_PROFILE_TOO_LARGE", msg),
  keyTooLarge: (msg = "The profile key exceeds 255 bytes") => new MatrixError(400, "M_KEY_TOO_LARGE", msg),
} as const;
