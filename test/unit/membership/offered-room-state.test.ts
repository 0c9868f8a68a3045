import { afterAll, describe, expect, it } from "vitest";
import { CryptoPool } from "../../../src/crypto/pool.js";
import { computeEventId } from "../../../src/events/hashes.js";
import { getRoomVersion } from "../../../src/events/room-versions.js";
import { hashAndSignEvent } from "../../../src/events/sign-event.js";
import type { JsonObject, Pdu } from "../../../src/events/types.js";
import { MatrixError } from "../../../src/errors.js";
import { offeredStateIsStrict, validateOfferedRoomState } from "../../../src/rooms/membership/offered-room-state.js";
import { randomKey } from "../../helpers/rooms.js";

const SERVER = "remote.test";
const key = randomKey("ed25519:r");
const pool = new CryptoPool({ size: 1 });
afterAll(async () => {
  await pool.close();
});
const deps = {
  pool,
  keys: {
    ensureKeys: async () => undefined,
    wireKeys: () => ({ [SERVER]: { [key.keyId]: { key: key.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER } } }),
  },
};

function room(versionId: string) {
  const version = getRoomVersion(versionId)!;
  const sender = `@c:${SERVER}`;
  const sign = (ev: JsonObject): Pdu => hashAndSignEvent(ev, version, SERVER, key);
  const base = { sender, origin_server_ts: Math.floor(Math.random() * 1e12), depth: 1, prev_events: [], auth_events: [] };
  const createContent: JsonObject = { room_version: versionId };
  if (version.createHasCreator) createContent.creator = sender;
  let roomId = version.roomIdFromCreateEvent ? undefined : `!r${Math.random().toString(36).slice(2)}:${SERVER}`;
  const create = sign({ ...base, type: "m.room.create", state_key: "", content: createContent, ...(roomId ? { room_id: roomId } : {}) });
  roomId ??= `!${computeEventId(create, version).slice(1)}`;
  const name = sign({ ...base, room_id: roomId, type: "m.room.name", state_key: "", content: { name: "N" } });
  const message = sign({ ...base, room_id: roomId, type: "m.room.message", content: { body: "not state" } });
  return { version, roomId, create, name, message, sign, base };
}

describe("offered room state (invite_room_state / knock_room_state)", () => {
  it("is strict from room version 12, lenient for 1–11", () => {
    expect(offeredStateIsStrict(getRoomVersion("12")!)).toBe(true);
    for (const v of ["1", "6", "7", "11"]) expect(offeredStateIsStrict(getRoomVersion(v)!)).toBe(false);
  });

  it("accepts verified PDUs of the room and strips them", async () => {
    const r = room("12");
    const out = await validateOfferedRoomState(deps, [r.create, r.name], r.version, r.roomId);
    expect(out.problems).toEqual([]);
    expect(out.strippedState.map((s) => s.type)).toEqual(["m.room.create", "m.room.name"]);
    expect(Object.keys(out.strippedState[1]!).sort()).toEqual(["content", "sender", "state_key", "type"]);
  });

  it("v12: any problem → 400 M_INVALID_PARAM", async () => {
    const r = room("12");
    const other = room("12");
    const tampered = { ...r.name, content: { name: "changed" } };
    const cases: unknown[][] = [[r.name], [r.create, other.name], [r.create, tampered], [r.create, r.message], [r.create, { type: "m.room.topic", state_key: "", sender: "@c:x", content: {} }], [r.create, 7]];
    for (const entries of cases) {
      const err = await validateOfferedRoomState(deps, entries, r.version, r.roomId).catch((e: unknown) => e);
      expect(err, JSON.stringify(entries).slice(0, 300)).toBeInstanceOf(MatrixError);
      expect((err as MatrixError).errcode).toBe("M_INVALID_PARAM");
    }
  });

  it("v1–v11: problems are reported, bad PDUs dropped, legacy stripped entries kept", async () => {
    const r = room("11");
    const other = room("11");
    const legacy = { type: "m.room.topic", state_key: "", sender: "@c:x", content: { topic: "t" } };
    const out = await validateOfferedRoomState(deps, [r.name, other.name, { ...r.name, content: { name: "changed" } }, legacy, 7], r.version, r.roomId);
    expect(out.problems).toHaveLength(5); // other room, hash, legacy, junk, missing create
    expect(out.problems.join(" ")).toMatch(/m.room.create event is missing/);
    expect(out.strippedState).toEqual([{ type: "m.room.name", state_key: "", sender: `@c:${SERVER}`, content: { name: "N" } }, legacy]);
  });

  it.each(["11", "12"])("prune (knock answers), v%s: never throws, keeps only the verified PDUs", async (v) => {
    const r = room(v);
    const legacy = { type: "m.room.topic", state_key: "", sender: "@c:x", content: { topic: "t" } };
    const out = await validateOfferedRoomState(deps, [r.name, { ...r.name, content: { name: "changed" } }, legacy, r.message], r.version, r.roomId, { prune: true });
    expect(out.problems).toHaveLength(4); // hash, legacy, not state, missing create
    expect(out.strippedState).toEqual([{ type: "m.room.name", state_key: "", sender: `@c:${SERVER}`, content: { name: "N" } }]);
  });
});
