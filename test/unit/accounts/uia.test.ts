import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DUMMY, PASSWORD, UiaSessions, type UiaOutcome } from "../../../src/client/auth/uia.js";
import { accountsHarness, SERVER, type AccountsHarness } from "./harness.js";

const erin = `@erin:${SERVER}`;

function body(outcome: UiaOutcome): Record<string, unknown> {
  if (outcome.ok) throw new Error("expected a challenge");
  expect(outcome.response.status).toBe(401);
  return outcome.response.body as Record<string, unknown>;
}

describe("user-interactive auth sessions", () => {
  let h: AccountsHarness;
  let uia: UiaSessions;
  beforeAll(async () => {
    h = accountsHarness();
    uia = new UiaSessions(h.accounts);
    await h.accounts.register({ userId: erin, password: "correct horse" });
  });
  afterAll(async () => h?.close());

  it("answers a request without auth with the flows and a session, even for a dummy-only flow", async () => {
    const first = body(await uia.authenticate(undefined, { action: "register", flows: [{ stages: [DUMMY] }] }));
    expect(first).toEqual({ flows: [{ stages: [DUMMY] }], params: {}, session: expect.any(String) as string });
    const done = await uia.authenticate({ type: DUMMY, session: first.session }, { action: "register", flows: [{ stages: [DUMMY] }] });
    expect(done.ok).toBe(true);
    // A retry of a completed session gets the result again, not a new challenge.
    expect((await uia.authenticate({ type: DUMMY, session: first.session }, { action: "register", flows: [{ stages: [DUMMY] }] })).ok).toBe(true);
  });

  it("requires the operation's own user and password, and reports a failed attempt with its error", async () => {
    const spec = { action: `delete_devices:${erin}`, flows: [{ stages: [PASSWORD] }], userId: erin };
    const challenge = body(await uia.authenticate(undefined, spec));
    const wrong = body(
      await uia.authenticate({ type: PASSWORD, session: challenge.session, identifier: { type: "m.id.user", user: "erin" }, password: "nope" }, spec),
    );
    expect(wrong).toMatchObject({ errcode: "M_FORBIDDEN", session: challenge.session, flows: [{ stages: [PASSWORD] }] });
    const otherUser = body(
      await uia.authenticate({ type: PASSWORD, session: challenge.session, identifier: { type: "m.id.user", user: "mallory" }, password: "x" }, spec),
    );
    expect(otherUser.errcode).toBe("M_FORBIDDEN");
    const skipped = body(await uia.authenticate({ type: DUMMY, session: challenge.session }, spec));
    expect(skipped.errcode).toBe("M_FORBIDDEN");
    const ok = await uia.authenticate({ type: PASSWORD, session: challenge.session, user: erin, password: "correct horse" }, spec);
    expect(ok.ok).toBe(true);
  });

  it("does not let a session of one operation authorise another", async () => {
    const spec = { action: `delete_devices:${erin}`, flows: [{ stages: [PASSWORD] }], userId: erin };
    const challenge = body(await uia.authenticate(undefined, spec));
    await expect(uia.authenticate({ type: DUMMY, session: challenge.session }, { action: "register", flows: [{ stages: [DUMMY] }] })).rejects.toMatchObject({
      errcode: "M_UNKNOWN",
    });
  });

  it("walks multi-stage flows in order and lists completed stages", async () => {
    const spec = { action: "multi", flows: [{ stages: [DUMMY, PASSWORD] }], userId: erin };
    const challenge = body(await uia.authenticate(undefined, spec));
    const afterDummy = body(await uia.authenticate({ type: DUMMY, session: challenge.session }, spec));
    expect(afterDummy.completed).toEqual([DUMMY]);
    expect((await uia.authenticate({ type: PASSWORD, session: challenge.session, user: "erin", password: "correct horse" }, spec)).ok).toBe(true);
  });
});
