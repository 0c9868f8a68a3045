/**
 * matrix-js-sdk 36 (no crypto) against a real Conflux: registration through the SDK's UIA
 * dummy flow, login, createRoom, sending, another user joining by alias, reading history with
 * the SDK's /messages request, redaction, leaving; then the SDK's own sync loop: live events,
 * local echo matched by transaction ID, and back-pagination (scrollback) from the sync's
 * prev_batch token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientEvent, createClient, Direction, EventType, MatrixError, RoomEvent, type MatrixClient, type MatrixEvent, type Room } from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { CLIENT_TEST_OVERRIDES, waitFor } from "./client-rooms-fixture.js";

let server: TestServer;
const clients: MatrixClient[] = [];

beforeAll(async () => {
  if (!process.env.SDK_LOG) sdkLogger.disableAll();
  server = await startTestServer({ overrides: CLIENT_TEST_OVERRIDES });
});
afterAll(async () => {
  for (const c of clients) c.stopClient();
  await server?.stop();
});

/** Register with the SDK: the first request is answered 401 with a UIA session, the second completes the dummy stage. */
async function registerWithSdk(username: string, password: string): Promise<MatrixClient> {
  const anon = createClient({ baseUrl: server.clientUrl });
  let session: string | undefined;
  try {
    await anon.registerRequest({ username, password });
    throw new Error("registration without UIA should not succeed");
  } catch (err) {
    expect(err).toBeInstanceOf(MatrixError);
    expect((err as MatrixError).httpStatus).toBe(401);
    session = (err as MatrixError).data.session as string;
  }
  const res = await anon.registerRequest({ username, password, auth: { type: "m.login.dummy", session } });
  expect(res.user_id).toBe(`@${username}:${server.serverName}`);
  const client = createClient({ baseUrl: server.clientUrl, accessToken: res.access_token!, userId: res.user_id, deviceId: res.device_id! });
  clients.push(client);
  return client;
}

async function loginWithSdk(username: string, password: string): Promise<MatrixClient> {
  const anon = createClient({ baseUrl: server.clientUrl });
  const res = await anon.loginRequest({ type: "m.login.password", identifier: { type: "m.id.user", user: username }, password });
  const client = createClient({ baseUrl: server.clientUrl, accessToken: res.access_token, userId: res.user_id, deviceId: res.device_id });
  clients.push(client);
  return client;
}

describe("matrix-js-sdk over REST", () => {
  it("register, create a room, send, another user joins and reads history, redact, leave", async () => {
    await registerWithSdk("alice", "alice-password");
    const alice = await loginWithSdk("alice", "alice-password");
    const bob = await registerWithSdk("bob", "bob-password");

    const { room_id: roomId } = await alice.createRoom({ name: "SDK room", room_alias_name: "sdk", preset: "public_chat" as never, topic: "testing" });
    const first = await alice.sendTextMessage(roomId, "hello from the SDK");
    const second = await alice.sendMessage(roomId, { msgtype: "m.text", body: "second" } as never);
    expect(first.event_id).toMatch(/^\$/);

    const joined = await bob.joinRoom(`#sdk:${server.serverName}`);
    expect(joined.roomId).toBe(roomId);
    expect((await bob.getJoinedRooms()).joined_rooms).toEqual([roomId]);

    const page = await bob.createMessagesRequest(roomId, null, 10, Direction.Backward);
    const bodies = page.chunk.filter((e) => e.type === EventType.RoomMessage).map((e) => (e.content as { body: string }).body);
    expect(bodies).toEqual(["second", "hello from the SDK"]);
    expect(page.chunk[page.chunk.length - 1]!.type === "m.room.create" || page.end !== undefined).toBe(true);

    const members = await alice.members(roomId, "join");
    expect((members.chunk ?? []).map((e) => e.state_key).sort()).toEqual([alice.getUserId(), bob.getUserId()].sort());
    const state = await bob.roomState(roomId);
    expect(state.find((e) => e.type === "m.room.name")?.content).toEqual({ name: "SDK room" });

    await alice.redactEvent(roomId, second.event_id, undefined, { reason: "oops" });
    const redacted = await bob.fetchRoomEvent(roomId, second.event_id);
    expect(redacted.content).toEqual({});
    expect((redacted.unsigned as { redacted_because?: { type: string } }).redacted_because?.type).toBe("m.room.redaction");

    await bob.leave(roomId);
    expect((await bob.getJoinedRooms()).joined_rooms).toEqual([]);
  });
});

describe("matrix-js-sdk sync loop", () => {
  it("receives live events, matches its local echo, and scrolls back through /messages", async () => {
    const carol = await registerWithSdk("carol", "carol-password");
    const dave = await registerWithSdk("dave", "dave-password");
    const { room_id: roomId } = await carol.createRoom({ preset: "public_chat" as never, name: "Live" });
    for (let i = 0; i < 25; i++) await carol.sendTextMessage(roomId, `early ${i}`);
    await dave.joinRoom(roomId);

    const live: string[] = [];
    carol.on(RoomEvent.Timeline, (ev: MatrixEvent, room: Room | undefined, toStartOfTimeline: boolean | undefined) => {
      if (room?.roomId === roomId && !toStartOfTimeline && ev.getType() === "m.room.message") live.push(ev.getContent().body as string);
    });
    const prepared = new Promise<void>((resolve) => {
      carol.on(ClientEvent.Sync, (state) => {
        if (state === "PREPARED") resolve();
      });
    });
    await carol.startClient({ initialSyncLimit: 5 });
    await prepared;
    const room = carol.getRoom(roomId)!;
    expect(room).toBeTruthy();
    expect(room.name).toBe("Live");

    await dave.sendTextMessage(roomId, "from dave");
    await waitFor("carol's client to see dave's message", () => live.includes("from dave"));

    const mine = await carol.sendTextMessage(roomId, "from carol");
    await waitFor("carol's own message to come down sync", () =>
      room.getLiveTimeline().getEvents().some((e) => e.getId() === mine.event_id && e.status === null),
    );

    // Scroll back from the sync's prev_batch until the start of the room.
    for (let i = 0; i < 20 && room.oldState.paginationToken !== null; i++) await carol.scrollback(room, 10);
    const bodies = room
      .getLiveTimeline()
      .getEvents()
      .filter((e) => e.getType() === "m.room.message")
      .map((e) => e.getContent().body as string);
    expect(bodies.slice(0, 25)).toEqual(Array.from({ length: 25 }, (_, i) => `early ${i}`));
    expect(room.getLiveTimeline().getEvents()[0]!.getType()).toBe("m.room.create");
  });
});
