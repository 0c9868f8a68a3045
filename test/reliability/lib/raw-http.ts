/**
 * One HTTP/1.1 exchange over a raw TCP or TLS socket, for requests a well-behaved client
 * library will not send: a `Content-Length` far larger than the bytes that follow (the server
 * must refuse from the header alone and close), or any bytes at all. Reads until the server
 * closes and parses the status line and the (Content-Length framed) body.
 */
import net from "node:net";
import tls from "node:tls";

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface RawRequest {
  readonly url: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Written after the head, as is (no framing is added). */
  readonly bodyPart?: Buffer;
}

export function rawExchange(req: RawRequest): Promise<RawResponse> {
  const target = new URL(req.url);
  const port = Number(target.port);
  const host = target.hostname;
  const head =
    `${req.method} ${req.path} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n` +
    Object.entries(req.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("") +
    "\r\n";
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onConnect = (): void => {
      socket.write(head);
      if (req.bodyPart) socket.write(req.bodyPart);
    };
    const socket: net.Socket =
      target.protocol === "https:" ? tls.connect({ host, port, rejectUnauthorized: false }, onConnect) : net.connect({ host, port }, onConnect);
    socket.setTimeout(30_000, () => socket.destroy(new Error("raw exchange timed out")));
    socket.on("data", (c: Buffer) => chunks.push(c));
    // The server may close while we still write (it refused the body): what it answered counts.
    socket.on("error", (err) => (chunks.length > 0 ? finish() : reject(err)));
    socket.on("close", finish);
    let done = false;
    function finish(): void {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const lines = text.slice(0, split < 0 ? text.length : split).split("\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body = split < 0 ? "" : text.slice(split + 4);
      const length = Number(headers["content-length"]);
      if (Number.isInteger(length)) body = Buffer.from(body, "utf8").subarray(0, length).toString("utf8");
      resolve({ status, headers, body });
    }
  });
}
