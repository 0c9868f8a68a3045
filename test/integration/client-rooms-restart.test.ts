/**
 * Client transaction IDs are durable: a send or redact retransmitted after the server restarts
 * (same data directory, same access token and device) returns the original event ID, and the
 * event still carries `unsigned.transaction_id` for that device. Forgotten rooms stay
 * forgotten.
 */
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startTestServer, type TestServer } from "../helpers/server.js";
import { tempDir } from "../helpers/temp.js";
import { CLIENT_TEST_OVERRIDES, ClientApi, type ClientEvent, type MessagesPage } from "./client-rooms-fixture.js";

const dir = tempDir("conflux-client-restart-");
let server: TestServer | undefined;

afterAll(async () => {
  await server?.stop();
  dir.cleanup();
});

describe("after a restart", () => {
  it("the same transaction IDs give the same events", async () => {
    const port = await freePort();
    server = await startTestServer({ dir, federationPort: port, overrides: CLIENT_TEST_OVERRIDES });
    let api = new ClientApi(server.clientUrl);
    const alice = await api.register("alice");
    const bob = await api.register("bob");
    const roomId = await api.createRoom(alice, { preset: "public_chat", room_version: "11" });
    const sent = await api.send(alice, roomId, { msgtype: "m.text", body: "durable" }, "m.room.message", "keep-1");
    const redaction = (await api.ok<{ event_id: string }>(api.room(roomId, `/redact/${encodeURIComponent(sent)}/keep-2`), { token: alice.access_token, method: "PUT", body: {} })).event_id;
    const left = await api.createRoom(alice, { preset: "public_chat", room_version: "11" });
    await api.ok(api.room(left, "/join"), { token: bob.access_token, body: {} });
    await api.ok(api.room(left, "/leave"), { token: bob.access_token, body: {} });
    await api.ok(api.room(left, "/forget"), { token: bob.access_token, body: {} });
    await server.stop();

    server = await startTestServer({ dir, federationPort: port, overrides: CLIENT_TEST_OVERRIDES });
    api = new ClientApi(server.clientUrl);
    expect(await api.send(alice, roomId, { msgtype: "m.text", body: "durable" }, "m.room.message", "keep-1")).toBe(sent);
    const again = await api.ok<{ event_id: string }>(api.room(roomId, `/redact/${encodeURIComponent(sent)}/keep-2`), { token: alice.access_token, method: "PUT", body: {} });
    expect(again.event_id).toBe(redaction);
    const messages = await api.ok<MessagesPage>(api.room(roomId, "/messages?dir=b&limit=50"), { token: alice.access_token });
    expect(messages.chunk.filter((e) => e.type === "m.room.message")).toHaveLength(1);
    expect(messages.chunk.filter((e) => e.type === "m.room.redaction")).toHaveLength(1);
    const ev = await api.ok<ClientEvent>(api.room(roomId, `/event/${encodeURIComponent(redaction)}`), { token: alice.access_token });
    expect(ev.unsigned?.transaction_id).toBe("keep-2");
    expect(await api.fails(api.room(left, "/messages?dir=b"), { token: bob.access_token })).toMatchObject({ status: 403 });
  });
});
