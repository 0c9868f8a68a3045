/**
 * Redaction per algorithm (rooms/fragments/v1-, v6-, v9-, v11-redactions.md; rooms/v8.md).
 * Each case names every key the algorithm keeps plus keys it must drop, so a key kept or
 * dropped wrongly in any version fails here.
 */
import { describe, expect, it } from "vitest";
import { redact, redactedEssentials } from "../../../src/events/redaction.js";
import { getRoomVersion, type RoomVersion } from "../../../src/events/room-versions.js";
import type { JsonObject } from "../../../src/events/types.js";

const V = (id: string): RoomVersion => getRoomVersion(id)!;

/** Every top-level key any algorithm keeps, plus ones none keeps. */
function envelope(type: string, content: JsonObject, extra: JsonObject = {}): JsonObject {
  return {
    event_id: "$e:x",
    type,
    room_id: "!r:x",
    sender: "@u:x",
    state_key: "",
    content,
    hashes: { sha256: "h" },
    signatures: { x: { "ed25519:1": "s" } },
    depth: 5,
    prev_events: ["$p"],
    prev_state: [],
    auth_events: ["$a"],
    origin: "x",
    origin_server_ts: 7,
    membership: "join",
    unsigned: { age: 1 },
    custom_top_level: true,
    ...extra,
  };
}

const TOP_V1 = [
  "auth_events",
  "content",
  "depth",
  "event_id",
  "hashes",
  "membership",
  "origin",
  "origin_server_ts",
  "prev_events",
  "prev_state",
  "room_id",
  "sender",
  "signatures",
  "state_key",
  "type",
];
const TOP_V11 = TOP_V1.filter((k) => !["origin", "membership", "prev_state"].includes(k));

const memberContent: JsonObject = {
  membership: "join",
  displayname: "U",
  avatar_url: "mxc://x/y",
  join_authorised_via_users_server: "@res:y",
  third_party_invite: { display_name: "inv", signed: { mxid: "@u:x", token: "t", signatures: {} } },
  reason: "r",
};
const createContent: JsonObject = {
  creator: "@u:x",
  room_version: "1",
  "m.federate": false,
  predecessor: { room_id: "!old:x" },
  type: "m.space",
};
const joinRulesContent: JsonObject = {
  join_rule: "restricted",
  allow: [{ type: "m.room_membership", room_id: "!s:x" }],
  other: 1,
};
const powerLevelsContent: JsonObject = {
  ban: 50,
  events: { "m.room.name": 50 },
  events_default: 0,
  invite: 0,
  kick: 50,
  notifications: { room: 50 },
  redact: 50,
  state_default: 50,
  users: { "@u:x": 100 },
  users_default: 0,
};
const aliasesContent: JsonObject = { aliases: ["#a:x"], other: 1 };
const historyContent: JsonObject = { history_visibility: "shared", other: 1 };
const redactionContent: JsonObject = { redacts: "$victim", reason: "spam" };
const messageContent: JsonObject = { body: "hi", msgtype: "m.text" };

const pick = (obj: JsonObject, keys: string[]): JsonObject =>
  Object.fromEntries(keys.filter((k) => k in obj).map((k) => [k, obj[k]!]));

interface Expectations {
  top: string[];
  member: JsonObject;
  create: JsonObject;
  joinRules: JsonObject;
  powerLevels: JsonObject;
  aliases: JsonObject;
  redaction: JsonObject;
}

const PL_V1 = ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"];

const expected: Record<string, Expectations> = {
  v1: {
    top: TOP_V1,
    member: { membership: "join" },
    create: { creator: "@u:x" },
    joinRules: { join_rule: "restricted" },
    powerLevels: pick(powerLevelsContent, PL_V1),
    aliases: { aliases: ["#a:x"] },
    redaction: {},
  },
  v6: {
    top: TOP_V1,
    member: { membership: "join" },
    create: { creator: "@u:x" },
    joinRules: { join_rule: "restricted" },
    powerLevels: pick(powerLevelsContent, PL_V1),
    aliases: {},
    redaction: {},
  },
  v8: {
    top: TOP_V1,
    member: { membership: "join" },
    create: { creator: "@u:x" },
    joinRules: pick(joinRulesContent, ["join_rule", "allow"]),
    powerLevels: pick(powerLevelsContent, PL_V1),
    aliases: {},
    redaction: {},
  },
  v9: {
    top: TOP_V1,
    member: { membership: "join", join_authorised_via_users_server: "@res:y" },
    create: { creator: "@u:x" },
    joinRules: pick(joinRulesContent, ["join_rule", "allow"]),
    powerLevels: pick(powerLevelsContent, PL_V1),
    aliases: {},
    redaction: {},
  },
  v11: {
    top: TOP_V11,
    member: {
      membership: "join",
      join_authorised_via_users_server: "@res:y",
      third_party_invite: { signed: { mxid: "@u:x", token: "t", signatures: {} } },
    },
    create: createContent,
    joinRules: pick(joinRulesContent, ["join_rule", "allow"]),
    powerLevels: pick(powerLevelsContent, [...PL_V1, "invite"]),
    aliases: {},
    redaction: { redacts: "$victim" },
  },
};

// Which room versions use which algorithm, per the rooms/vN.md pages.
const versionsByAlgorithm: Record<string, string[]> = {
  v1: ["1", "2", "3", "4", "5"],
  v6: ["6", "7"],
  v8: ["8"],
  v9: ["9", "10"],
  v11: ["11", "12"],
};

describe.each(Object.keys(expected))("redaction algorithm %s", (alg) => {
  const exp = expected[alg]!;
  const versions = versionsByAlgorithm[alg]!;

  it("is the algorithm the room-version table names", () => {
    for (const id of versions) expect(V(id).redaction).toBe(alg);
  });

  it.each(versions)("room v%s keeps exactly the protected top-level keys", (id) => {
    const out = redact(envelope("m.room.message", messageContent), V(id));
    expect(Object.keys(out).sort()).toEqual([...exp.top].sort());
    expect(out.content).toEqual({});
    expect(out.signatures).toEqual({ x: { "ed25519:1": "s" } });
    expect(out.hashes).toEqual({ sha256: "h" });
  });

  const version = V(versions[0]!);
  const cases: [string, JsonObject, JsonObject][] = [
    ["m.room.member", memberContent, exp.member],
    ["m.room.create", createContent, exp.create],
    ["m.room.join_rules", joinRulesContent, exp.joinRules],
    ["m.room.power_levels", powerLevelsContent, exp.powerLevels],
    ["m.room.aliases", aliasesContent, exp.aliases],
    ["m.room.history_visibility", historyContent, { history_visibility: "shared" }],
    ["m.room.redaction", redactionContent, exp.redaction],
    ["m.room.message", messageContent, {}],
  ];
  it.each(cases)("%s content", (type, content, want) => {
    expect(redact(envelope(type, content), version).content).toEqual(want);
  });
});

describe("redaction details", () => {
  it("drops unsigned and does not mutate its input", () => {
    const ev = envelope("m.room.member", memberContent);
    const copy = structuredClone(ev);
    const out = redact(ev, V("11"));
    expect(out).not.toHaveProperty("unsigned");
    expect(ev).toEqual(copy);
  });

  it("redactedEssentials is redact without signatures", () => {
    for (const id of ["1", "6", "9", "11"]) {
      const ev = envelope("m.room.power_levels", powerLevelsContent);
      const { signatures: _s, ...rest } = redact(ev, V(id));
      expect(redactedEssentials(ev, V(id))).toEqual(rest);
    }
  });

  it("v11 keeps third_party_invite only when it is an object holding signed", () => {
    const v11 = V("11");
    const noSigned = { membership: "invite", third_party_invite: { display_name: "x" } };
    expect(redact(envelope("m.room.member", noSigned), v11).content).toEqual({ membership: "invite" });
    const notObject = { membership: "invite", third_party_invite: "nope" };
    expect(redact(envelope("m.room.member", notObject), v11).content).toEqual({ membership: "invite" });
    // Before v11, third_party_invite is not protected at all.
    const full = { membership: "invite", third_party_invite: { signed: { token: "t" } } };
    expect(redact(envelope("m.room.member", full), V("10")).content).toEqual({ membership: "invite" });
  });

  it("v11 create keeps every content key, including nested ones", () => {
    const content = { room_version: "11", additional: { deep: [1, 2] } };
    expect(redact(envelope("m.room.create", content), V("11")).content).toEqual(content);
  });

  it("empties non-object content and ignores inherited names as event types", () => {
    expect(redact(envelope("m.room.member", ["membership"] as unknown as JsonObject), V("1")).content).toEqual({});
    expect(redact(envelope("constructor", { a: 1 }), V("1")).content).toEqual({});
    expect(redact(envelope("toString", { a: 1 }), V("11")).content).toEqual({});
  });

  it("never protects a top-level redacts (it is not in any version's list)", () => {
    const ev = envelope("m.room.redaction", redactionContent, { redacts: "$victim" });
    expect(redact(ev, V("1"))).not.toHaveProperty("redacts");
    expect(redact(ev, V("11"))).not.toHaveProperty("redacts");
  });
});
