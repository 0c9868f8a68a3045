import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "../../src/http/request.js";
import { conflux, FakeRemote } from "../helpers/fake-remote.js";
import type { TestServer } from "../helpers/server.js";

describe("X-Matrix authentication against a real remote key server", () => {
  let remote: FakeRemote;
  let stranger: FakeRemote;
  let server: TestServer;

  beforeAll(async () => {
    remote = await FakeRemote.start();
    stranger = await FakeRemote.start();
    server = await conflux([remote]);
    server.server.routers.federation.get("/_matrix/federation/v1/test-whoami", (req) => json({ origin: (req.auth as { origin: string }).origin }), { auth: "federation" });
  });
  afterAll(async () => {
    await server?.stop();
    await remote?.stop();
    await stranger?.stop();
  });

  it("accepts a request signed with the origin's published key", async () => {
    const res = await remote.send(server, "GET", "/_matrix/federation/v1/test-whoami");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ origin: remote.serverName });
  });

  it("rejects a missing or wrong destination, a forged signature and an unverifiable origin with 401", async () => {
    const wrongDest = await remote.send(server, "GET", "/_matrix/federation/v1/test-whoami", undefined, { destination: "other.example" });
    expect(wrongDest.status).toBe(401);
    expect(wrongDest.json()).toMatchObject({ errcode: "M_UNAUTHORIZED" });
    // The stranger's certificate is not trusted by this Conflux, so its key cannot be fetched.
    const untrusted = await stranger.send(server, "GET", "/_matrix/federation/v1/test-whoami");
    expect(untrusted.status).toBe(401);
    const { request } = await import("../helpers/http.js");
    const none = await request(`${server.federationUrl}/_matrix/federation/v1/test-whoami`, { rejectUnauthorized: false });
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ errcode: "M_UNAUTHORIZED" });
  });
});
