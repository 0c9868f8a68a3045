/**
 * Push rules API over HTTP against one real Conflux (modules/push.md, pushrules.yaml): the
 * server-default rules, user rules with before/after placement, enabling and actions of any
 * rule, validation errors, and the `m.push_rules` account data event /sync delivers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/events/types.js";
import { SyncFixture, type User } from "./sync-fixture.js";

interface Rule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: unknown[];
  conditions?: JsonObject[];
  pattern?: string;
}
type Ruleset = Record<"override" | "content" | "room" | "sender" | "underride", Rule[]>;

let fx: SyncFixture;
let alice: User;
let bob: User;

const enc = encodeURIComponent;
const rulePath = (kind: string, ruleId: string, suffix = ""): string => `/pushrules/global/${kind}/${enc(ruleId)}${suffix}`;
const ids = (rules: Rule[]): string[] => rules.map((r) => r.rule_id);

async function rules(user: User): Promise<Ruleset> {
  return (await fx.ok<{ global: Ruleset }>(user, "/pushrules/")).global;
}

async function expectError(res: Promise<{ status: number; json<T>(): T }>, status: number, errcode: string): Promise<void> {
  const r = await res;
  expect(r.status).toBe(status);
  expect(r.json()).toMatchObject({ errcode });
}

beforeAll(async () => {
  fx = await SyncFixture.start();
  alice = await fx.user("alice");
  bob = await fx.user("bob");
});
afterAll(async () => {
  await fx?.stop();
});

describe("server-default rules", () => {
  it("a new user gets the spec's default rules, in order, made for them", async () => {
    const global = await rules(alice);
    expect(ids(global.override)).toEqual([
      ".m.rule.master",
      ".m.rule.suppress_notices",
      ".m.rule.invite_for_me",
      ".m.rule.member_event",
      ".m.rule.is_user_mention",
      ".m.rule.contains_display_name",
      ".m.rule.is_room_mention",
      ".m.rule.roomnotif",
      ".m.rule.tombstone",
      ".m.rule.reaction",
      ".m.rule.room.server_acl",
      ".m.rule.suppress_edits",
    ]);
    expect(ids(global.content)).toEqual([".m.rule.contains_user_name"]);
    expect(global.room).toEqual([]);
    expect(global.sender).toEqual([]);
    expect(ids(global.underride)).toEqual([".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one", ".m.rule.message", ".m.rule.encrypted"]);

    expect(global.override[0]).toEqual({ rule_id: ".m.rule.master", default: true, enabled: false, conditions: [], actions: [] });
    expect(global.content[0]).toEqual({
      rule_id: ".m.rule.contains_user_name",
      default: true,
      enabled: true,
      pattern: "alice",
      actions: ["notify", { set_tweak: "sound", value: "default" }, { set_tweak: "highlight" }],
    });
    const invite = global.override.find((r) => r.rule_id === ".m.rule.invite_for_me")!;
    expect(invite.conditions).toContainEqual({ kind: "event_match", key: "state_key", pattern: alice.userId });
    const mention = global.override.find((r) => r.rule_id === ".m.rule.is_user_mention")!;
    expect(mention.conditions).toEqual([{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: alice.userId }]);
    expect(global.underride.find((r) => r.rule_id === ".m.rule.call")!.actions).toEqual(["notify", { set_tweak: "sound", value: "ring" }]);
    for (const kind of Object.keys(global) as (keyof Ruleset)[]) for (const r of global[kind]) expect(r.default).toBe(true);
  });

  it("GET /pushrules/global/ is the same ruleset; one rule, its enabled flag and actions read alone", async () => {
    expect(await fx.ok(alice, "/pushrules/global/")).toEqual(await rules(alice));
    expect(await fx.ok(alice, rulePath("underride", ".m.rule.message"))).toEqual({
      rule_id: ".m.rule.message",
      default: true,
      enabled: true,
      conditions: [{ kind: "event_match", key: "type", pattern: "m.room.message" }],
      actions: ["notify"],
    });
    expect(await fx.ok(alice, rulePath("override", ".m.rule.master", "/enabled"))).toEqual({ enabled: false });
    expect(await fx.ok(alice, rulePath("underride", ".m.rule.message", "/actions"))).toEqual({ actions: ["notify"] });
  });

  it("unknown rules are 404 M_NOT_FOUND, also under the wrong kind", async () => {
    await expectError(fx.call(alice, rulePath("override", "nope")), 404, "M_NOT_FOUND");
    await expectError(fx.call(alice, rulePath("underride", ".m.rule.master")), 404, "M_NOT_FOUND");
    await expectError(fx.call(alice, rulePath("content", "nope", "/enabled")), 404, "M_NOT_FOUND");
    await expectError(fx.call(alice, rulePath("content", "nope", "/actions"), { method: "PUT", body: { actions: [] } }), 404, "M_NOT_FOUND");
    await expectError(fx.call(alice, rulePath("room", "!nope:x"), { method: "DELETE" }), 404, "M_NOT_FOUND");
  });

  it("enabling and re-acting a default rule changes it for that user only", async () => {
    await fx.ok(alice, rulePath("override", ".m.rule.master", "/enabled"), { method: "PUT", body: { enabled: true } });
    await fx.ok(alice, rulePath("underride", ".m.rule.message", "/actions"), { method: "PUT", body: { actions: ["notify", "dont_notify", { set_tweak: "sound", value: "bing" }] } });
    const mine = await rules(alice);
    expect(mine.override[0]).toMatchObject({ rule_id: ".m.rule.master", enabled: true, default: true });
    // Historical actions are stripped.
    expect(mine.underride.find((r) => r.rule_id === ".m.rule.message")!.actions).toEqual(["notify", { set_tweak: "sound", value: "bing" }]);
    const theirs = await rules(bob);
    expect(theirs.override[0]!.enabled).toBe(false);
    expect(theirs.underride.find((r) => r.rule_id === ".m.rule.message")!.actions).toEqual(["notify"]);
    await fx.ok(alice, rulePath("override", ".m.rule.master", "/enabled"), { method: "PUT", body: { enabled: false } });
    expect((await rules(alice)).override[0]!.enabled).toBe(false);
  });

  it("default rules cannot be created, replaced or deleted", async () => {
    await expectError(fx.call(alice, rulePath("override", ".m.rule.master"), { method: "PUT", body: { actions: [] } }), 400, "M_INVALID_PARAM");
    await expectError(fx.call(alice, rulePath("override", ".my.rule"), { method: "PUT", body: { actions: [] } }), 400, "M_INVALID_PARAM");
    await expectError(fx.call(alice, rulePath("override", ".m.rule.master"), { method: "DELETE" }), 400, "M_INVALID_PARAM");
    expect(ids((await rules(alice)).override)).toContain(".m.rule.master");
  });
});

describe("user-defined rules", () => {
  it("a content rule is created enabled, above the default content rule", async () => {
    await fx.ok(alice, rulePath("content", "cake"), { method: "PUT", body: { pattern: "cake*lie", actions: ["notify"] } });
    expect(await fx.ok(alice, rulePath("content", "cake"))).toEqual({ rule_id: "cake", default: false, enabled: true, pattern: "cake*lie", actions: ["notify"] });
    expect(ids((await rules(alice)).content)).toEqual(["cake", ".m.rule.contains_user_name"]);
  });

  it("override rules: new ones go first among user rules, before/after place them, master stays first", async () => {
    const put = (id: string, query = ""): Promise<JsonObject> =>
      fx.ok(alice, `${rulePath("override", id)}${query}`, { method: "PUT", body: { conditions: [{ kind: "event_match", key: "content.body", pattern: id }], actions: [] } });
    await put("one");
    await put("two"); // most important user rule: [two, one]
    await put("three", "?after=two"); // [two, three, one]
    await put("four", "?before=two"); // [four, two, three, one]
    await put("five", "?before=one&after=four"); // before wins: [four, two, three, five, one]
    const override = ids((await rules(alice)).override);
    expect(override.slice(0, 6)).toEqual([".m.rule.master", "four", "two", "three", "five", "one"]);
    expect(override[6]).toBe(".m.rule.suppress_notices");

    // Moving an existing rule.
    await put("one", "?before=four");
    expect(ids((await rules(alice)).override).slice(1, 6)).toEqual(["one", "four", "two", "three", "five"]);
  });

  it("replacing a rule keeps its place and whether it is enabled", async () => {
    await fx.ok(alice, rulePath("override", "two", "/enabled"), { method: "PUT", body: { enabled: false } });
    await fx.ok(alice, rulePath("override", "two"), { method: "PUT", body: { actions: ["notify"] } });
    const override = (await rules(alice)).override;
    expect(ids(override).slice(1, 6)).toEqual(["one", "four", "two", "three", "five"]);
    expect(override.find((r) => r.rule_id === "two")).toEqual({ rule_id: "two", default: false, enabled: false, conditions: [], actions: ["notify"] });
  });

  it("before/after must name a user rule of the same kind", async () => {
    const body = { actions: [] };
    await expectError(fx.call(alice, `${rulePath("override", "six")}?before=missing`, { method: "PUT", body }), 400, "M_INVALID_PARAM");
    await expectError(fx.call(alice, `${rulePath("override", "six")}?after=.m.rule.master`, { method: "PUT", body }), 400, "M_INVALID_PARAM");
    await expectError(fx.call(alice, `${rulePath("underride", "six")}?after=one`, { method: "PUT", body }), 400, "M_INVALID_PARAM");
    expect(ids((await rules(alice)).override)).not.toContain("six");
  });

  it("room and sender rules are keyed by room and user ID", async () => {
    const roomId = "!someroom:example.org";
    await fx.ok(alice, rulePath("room", roomId), { method: "PUT", body: { actions: [], conditions: [{ kind: "ignored" }] } });
    await fx.ok(alice, rulePath("sender", "@spam:example.org"), { method: "PUT", body: { actions: [] } });
    const global = await rules(alice);
    expect(global.room).toEqual([{ rule_id: roomId, default: false, enabled: true, actions: [] }]);
    expect(ids(global.sender)).toEqual(["@spam:example.org"]);
    await expectError(fx.call(alice, rulePath("room", "not-a-room"), { method: "PUT", body: { actions: [] } }), 400, "M_INVALID_PARAM");
    await expectError(fx.call(alice, rulePath("sender", "!room:x"), { method: "PUT", body: { actions: [] } }), 400, "M_INVALID_PARAM");
  });

  it("DELETE removes a user rule", async () => {
    await fx.ok(alice, rulePath("sender", "@spam:example.org"), { method: "DELETE" });
    expect((await rules(alice)).sender).toEqual([]);
    await expectError(fx.call(alice, rulePath("sender", "@spam:example.org")), 404, "M_NOT_FOUND");
  });

  it("malformed requests are 400", async () => {
    const put = (kind: string, id: string, body: unknown) => fx.call(alice, rulePath(kind, id), { method: "PUT", body });
    await expectError(put("override", "x", {}), 400, "M_MISSING_PARAM");
    await expectError(put("override", "x", { actions: "notify" }), 400, "M_INVALID_PARAM");
    await expectError(put("override", "x", { actions: ["shout"] }), 400, "M_INVALID_PARAM");
    await expectError(put("override", "x", { actions: [{ value: 1 }] }), 400, "M_INVALID_PARAM");
    await expectError(put("override", "x", { actions: [], conditions: {} }), 400, "M_INVALID_PARAM");
    await expectError(put("override", "x", { actions: [], conditions: [{ kind: "event_match", key: "type" }] }), 400, "M_INVALID_PARAM");
    await expectError(put("override", "x", { actions: [], conditions: [{ kind: "room_member_count", is: "lots" }] }), 400, "M_INVALID_PARAM");
    await expectError(put("override", "x", { actions: [], conditions: [{ kind: "event_property_is", key: "k", value: { a: 1 } }] }), 400, "M_INVALID_PARAM");
    await expectError(put("content", "x", { actions: [] }), 400, "M_MISSING_PARAM");
    await expectError(put("content", "a/b", { actions: [], pattern: "p" }), 400, "M_INVALID_PARAM");
    await expectError(put("content", "a\\b", { actions: [], pattern: "p" }), 400, "M_INVALID_PARAM");
    await expectError(put("middle", "x", { actions: [] }), 400, "M_INVALID_PARAM");
    await expectError(fx.call(alice, rulePath("override", ".m.rule.master", "/enabled"), { method: "PUT", body: { enabled: "yes" } }), 400, "M_INVALID_PARAM");
    await expectError(fx.call(alice, rulePath("override", ".m.rule.master", "/enabled"), { method: "PUT", body: {} }), 400, "M_MISSING_PARAM");
    // An unrecognised condition kind is kept (it never matches), not refused.
    await fx.ok(alice, rulePath("underride", "future"), { method: "PUT", body: { actions: ["notify"], conditions: [{ kind: "org.example.future", x: 1 }] } });
    expect((await rules(alice)).underride[0]).toMatchObject({ rule_id: "future", conditions: [{ kind: "org.example.future", x: 1 }] });
  });

  it("concurrent changes all land", async () => {
    await Promise.all(["c1", "c2", "c3", "c4", "c5"].map((id) => fx.ok(bob, rulePath("content", id), { method: "PUT", body: { pattern: id, actions: [] } })));
    expect(ids((await rules(bob)).content).sort()).toEqual([".m.rule.contains_user_name", "c1", "c2", "c3", "c4", "c5"]);
  });
});

describe("m.push_rules in /sync", () => {
  it("an initial sync carries the current rules; a change wakes a waiting sync with the new ones", async () => {
    const initial = await fx.sync(alice);
    const event = initial.account_data.events.find((e) => e.type === "m.push_rules")!;
    expect(event.content).toEqual({ global: await rules(alice) });

    const waiting = fx.sync(alice, { since: initial.next_batch, timeout: 30_000 });
    await fx.syncsWaiting(1);
    await fx.ok(alice, rulePath("content", "tea"), { method: "PUT", body: { pattern: "tea", actions: ["notify"] } });
    const res = await waiting;
    const changed = res.account_data.events.find((e) => e.type === "m.push_rules")!;
    expect(ids((changed.content as unknown as { global: Ruleset }).global.content)[0]).toBe("tea");
    expect(await fx.ok(alice, `/user/${enc(alice.userId)}/account_data/m.push_rules`)).toEqual(changed.content);
  });
});
