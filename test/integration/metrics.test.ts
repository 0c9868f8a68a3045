import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("Prometheus metrics listener", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { listeners: { metrics: { enabled: true, host: "127.0.0.1", port: 0 } } } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("serves request counts by route and status, component gauges and LMDB size on its own port", async () => {
    const port = server.server.metrics!.port;
    await request(`${server.clientUrl}/_matrix/client/versions`);
    await request(`${server.clientUrl}/_matrix/client/v3/nope`);
    await request(`${server.federationUrl}/_matrix/federation/v1/version`, { rejectUnauthorized: false });
    const res = await request(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/plain/);
    const text = res.text;
    expect(text).toMatch(/conflux_http_requests_total\{listener="client",method="GET",route="\/_matrix\/client\/versions",status="200"\} 1/);
    expect(text).toMatch(/conflux_http_requests_total\{listener="client",method="GET",route="unmatched",status="404"\} 1/);
    expect(text).toMatch(/conflux_http_requests_total\{listener="federation",method="GET",route="\/_matrix\/federation\/v1\/version",status="200"\} 1/);
    expect(text).toMatch(/conflux_http_request_duration_seconds_bucket\{/);
    expect(text).toMatch(/^conflux_room_actors \d+/m);
    expect(text).toMatch(/^conflux_crypto_pool_queue_size \d+/m);
    expect(text).toMatch(/^conflux_lmdb_file_bytes [1-9]\d*/m);
    expect(text).toMatch(/conflux_lmdb_entries\{db="events"\}/);
    expect(text).toMatch(/conflux_process_resident_memory_bytes/);
    const other = await request(`http://127.0.0.1:${port}/other`);
    expect(other.status).toBe(404);
    // Not served on the API listeners.
    expect((await request(`${server.clientUrl}/metrics`)).status).toBe(404);
  });
});
