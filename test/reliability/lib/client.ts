/**
 * Client-server calls for reliability tests: one fresh connection per request (a server that
 * was killed leaves no stale kept-alive socket behind), JSON in and out.
 */
import { request } from "../../helpers/http.js";

export interface ClientResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface Session {
  readonly baseUrl: string;
  readonly userId: string;
  readonly accessToken: string;
}

export async function clientCall(baseUrl: string, method: string, path: string, body?: unknown, token?: string): Promise<ClientResponse> {
  const res = await request(`${baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  let parsed: Record<string, unknown> = {};
  try {
    parsed = res.json<Record<string, unknown>>();
  } catch {
    // empty or not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

async function ok(baseUrl: string, method: string, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const r = await clientCall(baseUrl, method, path, body, token);
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Register through the m.login.dummy flow (registration must be open). */
export async function registerUser(baseUrl: string, username: string, password = "reliability-password-1"): Promise<Session> {
  const first = await clientCall(baseUrl, "POST", "/_matrix/client/v3/register", { username, password });
  const session = first.body.session as string | undefined;
  const body = await ok(baseUrl, "POST", "/_matrix/client/v3/register", { username, password, auth: { type: "m.login.dummy", session } });
  return { baseUrl, userId: body.user_id as string, accessToken: body.access_token as string };
}

export async function createPublicRoom(s: Session): Promise<string> {
  return (await ok(s.baseUrl, "POST", "/_matrix/client/v3/createRoom", { preset: "public_chat" }, s.accessToken)).room_id as string;
}

export async function joinRoom(s: Session, roomId: string): Promise<void> {
  await ok(s.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {}, s.accessToken);
}

export function sendPath(roomId: string, txnId: string, type = "m.room.message"): string {
  return `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`;
}

/** Whether `url` answers at all (any status): false when the connection is refused or reset. */
export async function answers(url: string): Promise<boolean> {
  try {
    await request(url, { rejectUnauthorized: false });
    return true;
  } catch {
    return false;
  }
}
