import { describe, expect, it } from "vitest";
import { MatrixError } from "../../../src/errors.js";
import { getRoomVersion } from "../../../src/events/room-versions.js";
import type { JsonObject } from "../../../src/events/types.js";
import { checkHandshakeEvent, type HandshakeExpectation } from "../../../src/rooms/membership/handshake-event.js";

const ROOM = "!room:resident.test";
const ORIGIN = "joining.test";
const OURS = "resident.test";
const JOINER = `@j:${ORIGIN}`;

function pdu(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    room_id: ROOM,
    sender: JOINER,
    type: "m.room.member",
    state_key: JOINER,
    content: { membership: "join" },
    origin_server_ts: 1,
    depth: 5,
    prev_events: ["$p"],
    auth_events: ["$a"],
    hashes: { sha256: "x" },
    signatures: {},
    ...overrides,
  };
}

const expectation = (membership: HandshakeExpectation["membership"]): HandshakeExpectation => ({
  membership,
  origin: ORIGIN,
  roomId: ROOM,
  version: getRoomVersion("10")!,
  serverName: OURS,
});

function failure(raw: unknown, exp: HandshakeExpectation): string {
  try {
    checkHandshakeEvent(raw, exp);
  } catch (e) {
    if (e instanceof MatrixError) return `${e.status} ${e.errcode}: ${e.message}`;
    throw e;
  }
  return "accepted";
}

describe("handshake event field checks (Matrix 1.18 shared rule)", () => {
  it("accepts a well-formed event of the endpoint's membership", () => {
    expect(failure(pdu(), expectation("join"))).toBe("accepted");
    expect(failure(pdu({ content: { membership: "leave" } }), expectation("leave"))).toBe("accepted");
    expect(failure(pdu({ content: { membership: "knock" } }), expectation("knock"))).toBe("accepted");
  });

  it("send_*: type, membership, room, sender's server, state_key → 400 M_INVALID_PARAM", () => {
    const join = expectation("join");
    expect(failure(pdu({ type: "m.room.message" }), join)).toMatch(/^400 M_INVALID_PARAM: Not an m.room.member/);
    expect(failure(pdu({ content: { membership: "invite" } }), join)).toMatch(/^400 M_INVALID_PARAM: Not a join/);
    expect(failure(pdu({ content: {} }), join)).toMatch(/^400 M_INVALID_PARAM/);
    expect(failure(pdu({ room_id: "!other:resident.test" }), join)).toMatch(/^400 M_INVALID_PARAM: .*room/);
    expect(failure(pdu({ sender: "@j:else.test", state_key: "@j:else.test" }), join)).toMatch(/^400 M_INVALID_PARAM: .*requesting server/);
    expect(failure(pdu({ state_key: `@k:${ORIGIN}` }), join)).toMatch(/^400 M_INVALID_PARAM: .*state_key/);
    expect(failure(pdu({ state_key: undefined }), join)).toMatch(/^400 M_INVALID_PARAM/);
  });

  it("not a PDU of the room version → 400 M_BAD_JSON", () => {
    const join = expectation("join");
    expect(failure(pdu({ depth: "5" }), join)).toMatch(/^400 M_BAD_JSON/);
    expect(failure(pdu({ prev_events: [["$p", { sha256: "h" }]] }), join)).toMatch(/^400 M_BAD_JSON/);
    expect(failure("text", join)).toMatch(/^400 M_BAD_JSON/);
  });

  it("invite: the sender must be the origin's unless the invite comes from a third-party invite", () => {
    const invite = expectation("invite");
    const target = `@bob:${OURS}`;
    const base = { state_key: target, content: { membership: "invite" } };
    expect(failure(pdu(base), invite)).toBe("accepted");
    expect(failure(pdu({ ...base, sender: "@c:else.test" }), invite)).toMatch(/^400 M_INVALID_PARAM: .*requesting server/);
    const thirdParty = { membership: "invite", third_party_invite: { display_name: "x", signed: { mxid: target, token: "t", signatures: {} } } };
    expect(failure(pdu({ ...base, sender: "@c:else.test", content: thirdParty }), invite)).toBe("accepted");
  });
});
