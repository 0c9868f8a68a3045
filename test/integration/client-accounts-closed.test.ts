/**
 * A Conflux with registration closed and a tiny client rate limit: /register is refused, the
 * `register-user` CLI (the compiled binary, run while the server is up) still creates an
 * account that can log in, and flooding an endpoint ends in 429 M_LIMIT_EXCEEDED.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_ENTRY } from "../helpers/build.js";
import { request, type TestResponse } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);
const V3 = "/_matrix/client/v3";
const BURST = 4;

let server: TestServer;

function post(path: string, body: object, token?: string): Promise<TestResponse> {
  return request(`${server.clientUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body,
  });
}

// dist/ is built by the vitest global setup (test/helpers/global-setup.ts); rebuilding here
// would rewrite the worker scripts other test files' pools are loading.
beforeAll(async () => {
  server = await startTestServer({
    overrides: { registration: { open: false }, limits: { client_rate_per_second: 0.01, client_rate_burst: BURST } },
  });
});
afterAll(async () => {
  await server?.stop();
});

describe("closed registration", () => {
  it("refuses /register and /register/available with 403 M_FORBIDDEN", async () => {
    const res = await post(`${V3}/register`, { username: "walkin", password: "pw" });
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
  });

  it("register-user creates an account while the server runs, and it can log in", async () => {
    const configPath = join(server.dir.path, "cli.yaml");
    writeFileSync(configPath, `server_name: "${server.serverName}"\ndata_dir: "${server.dir.path}"\n`);
    const passwordFile = join(server.dir.path, "password.txt");
    writeFileSync(passwordFile, "s3cret-admin\n");
    const env = { ...process.env, CONFLUX_LOG_LEVEL: "warn" };
    const { stdout } = await run(process.execPath, [CLI_ENTRY, "register-user", "--config", configPath, "--user", "Admin", "--password-file", passwordFile], { env });
    expect(stdout).toContain(`@admin:${server.serverName}`);

    const again = await run(process.execPath, [CLI_ENTRY, "register-user", "-c", configPath, "-u", "admin", "-p", "x"], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(again).toMatchObject({ code: 1 });
    expect((again as { stderr: string }).stderr).toContain("already exists");

    const login = await post(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user: "admin" }, password: "s3cret-admin" });
    expect(login.status).toBe(200);
    expect(login.json()).toMatchObject({ user_id: `@admin:${server.serverName}` });
  });
});

describe("rate limiting", () => {
  it("answers 429 M_LIMIT_EXCEEDED with retry_after_ms and Retry-After once the burst is spent", async () => {
    const statuses: number[] = [];
    let limited: TestResponse | undefined;
    for (let i = 0; i < BURST + 2 && limited === undefined; i++) {
      const res = await post(`${V3}/register`, { username: `flood${i}`, password: "pw" });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(limited).toBeDefined();
    expect(limited!.json()).toMatchObject({ errcode: "M_LIMIT_EXCEEDED", retry_after_ms: expect.any(Number) as number });
    expect(Number(limited!.headers["retry-after"])).toBeGreaterThan(0);
    // Earlier requests of this IP (the login above included) used up the same bucket.
    expect(statuses.filter((s) => s === 403).length).toBeLessThanOrEqual(BURST);
  });
});
