/** The few client-server calls the bench needs (register, createRoom, send, sync), over plain HTTP. */
import http from "node:http";

export interface ClientSession {
  baseUrl: string;
  userId: string;
  accessToken: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 2048 });

export function call(baseUrl: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...(payload !== undefined ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {}),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: text });
          }
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function ok(p: Promise<{ status: number; body: unknown }>, what: string): Promise<Record<string, unknown>> {
  const r = await p;
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as Record<string, unknown>;
}

/**
 * Register with the m.login.dummy flow (registration must be open). `password: null` makes an
 * account without a password (registration.yaml: `password` is optional), which skips the
 * argon2id hash: the way to make a thousand bench users in seconds.
 */
export async function register(baseUrl: string, username: string, password: string | null = "bench-password-1"): Promise<ClientSession> {
  const base = password === null ? { username } : { username, password };
  const first = await call(baseUrl, "POST", "/_matrix/client/v3/register", base);
  const session = (first.body as { session?: string }).session;
  const body = await ok(call(baseUrl, "POST", "/_matrix/client/v3/register", { ...base, auth: { type: "m.login.dummy", session } }), "register");
  return { baseUrl, userId: body.user_id as string, accessToken: body.access_token as string };
}

/** Run `fn` over `items` with at most `concurrency` calls in flight; results in input order. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

export async function createRoom(s: ClientSession, extra: Record<string, unknown> = {}): Promise<string> {
  const body = await ok(call(s.baseUrl, "POST", "/_matrix/client/v3/createRoom", { preset: "public_chat", ...extra }, s.accessToken), "createRoom");
  return body.room_id as string;
}

export async function joinRoom(s: ClientSession, roomId: string): Promise<void> {
  await ok(call(s.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {}, s.accessToken), "join");
}

export async function sendMessage(s: ClientSession, roomId: string, txnId: string, body: string): Promise<string> {
  const r = await ok(
    call(s.baseUrl, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, { msgtype: "m.text", body }, s.accessToken),
    "send",
  );
  return r.event_id as string;
}

export async function sync(s: ClientSession, since?: string, timeoutMs = 0, filter?: string): Promise<Record<string, unknown>> {
  const q = new URLSearchParams();
  if (since) q.set("since", since);
  q.set("timeout", String(timeoutMs));
  if (filter) q.set("filter", filter);
  return ok(call(s.baseUrl, "GET", `/_matrix/client/v3/sync?${q}`, undefined, s.accessToken), "sync");
}
