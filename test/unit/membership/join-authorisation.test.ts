import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MatrixError } from "../../../src/errors.js";
import {
  allowedRooms,
  authoriseJoin,
  chooseAuthorisingUser,
  confirmAuthorisation,
  evaluateConditions,
} from "../../../src/rooms/membership/join-authorisation.js";
import { harness, RemoteServer, type Harness } from "../../helpers/rooms.js";
import { ALICE, ctxAndState, local, newRoom, remoteMembership, setMembership } from "./room-fixture.js";

const REMOTE = "remote.test";
const MEMBER = `@m:${REMOTE}`;

function errcodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof MatrixError ? `${e.status} ${e.errcode}` : String(e);
  }
  return undefined;
}

describe("restricted joins: conditions and the authorising user", () => {
  let h: Harness;
  let remote: RemoteServer;
  beforeEach(() => {
    h = harness();
    remote = new RemoteServer(REMOTE, h);
  });
  afterEach(async () => {
    await h.close();
  });

  it("reads only well-formed m.room_membership conditions", () => {
    expect(
      allowedRooms({
        join_rule: "restricted",
        allow: [{ type: "m.room_membership", room_id: "!a:x.org" }, { type: "m.room_membership" }, { type: "m.other", room_id: "!b:x.org" }, { type: "m.room_membership", room_id: "nope" }, "junk", null],
      }),
    ).toEqual(["!a:x.org"]);
    expect(allowedRooms({ join_rule: "restricted" })).toEqual([]);
    expect(allowedRooms(undefined)).toEqual([]);
  });

  it("evaluates conditions against the rooms we are in", async () => {
    const allowed = await newRoom(h, "10");
    await remoteMembership(h, remote, allowed, MEMBER, "join");
    const restricted = await newRoom(h, "10", { joinRule: "restricted" });
    const { ctx } = ctxAndState(h, restricted);
    expect(evaluateConditions(ctx, MEMBER, [allowed])).toBe("satisfied");
    expect(evaluateConditions(ctx, MEMBER, ["!unknown:x.org", allowed])).toBe("satisfied");
    expect(evaluateConditions(ctx, `@other:${REMOTE}`, [allowed])).toBe("failed");
    expect(evaluateConditions(ctx, `@other:${REMOTE}`, [allowed, "!unknown:x.org"])).toBe("unverifiable");
    expect(evaluateConditions(ctx, MEMBER, [])).toBe("failed");
    // A room we left no longer counts as checkable.
    await setMembership(h, allowed, ALICE, "leave");
    expect(evaluateConditions(ctx, MEMBER, [allowed])).toBe("unverifiable");
  });

  it("prefers the most powerful joined user of ours, then any member when the invite level allows", async () => {
    const carol = local("carol");
    const dan = local("dan");
    const roomId = await newRoom(h, "10", { joinRule: "invite", powerLevels: { users: { [ALICE]: 100, [carol]: 50, "@x:remote.test": 100 }, invite: 50 } });
    for (const u of [carol, dan]) {
      await setMembership(h, roomId, u, "invite", ALICE);
      await setMembership(h, roomId, u, "join");
    }
    expect(chooseAuthorisingUser(...args(h, roomId))).toBe(ALICE);
    await setMembership(h, roomId, ALICE, "leave");
    expect(chooseAuthorisingUser(...args(h, roomId))).toBe(carol);
    await setMembership(h, roomId, carol, "leave");
    // dan has users_default (0) < invite (50).
    expect(chooseAuthorisingUser(...args(h, roomId))).toBeUndefined();
  });

  it("finds an unnamed member when users_default reaches the invite level", async () => {
    const dan = local("dan");
    const roomId = await newRoom(h, "11", { powerLevels: { invite: 0 } });
    await setMembership(h, roomId, dan, "join");
    await setMembership(h, roomId, ALICE, "leave");
    expect(chooseAuthorisingUser(...args(h, roomId))).toBe(dan);
  });

  it("v12: the creator, whose power is infinite, vouches", async () => {
    const roomId = await newRoom(h, "12", { powerLevels: { invite: 100 } });
    expect(chooseAuthorisingUser(...args(h, roomId))).toBe(ALICE);
  });

  it("authoriseJoin: none needed unless restricted and not invited; the spec's three refusals", async () => {
    const allowed = await newRoom(h, "10");
    await remoteMembership(h, remote, allowed, MEMBER, "join");
    const publicRoom = await newRoom(h, "10");
    const { ctx: pc, state: ps } = ctxAndState(h, publicRoom);
    expect(authoriseJoin(pc, ps, MEMBER)).toBeUndefined();

    const cond = (id: string) => ({ type: "m.room_membership", room_id: id });
    const restricted = await newRoom(h, "10", { joinRule: "restricted", allow: [cond(allowed)] });
    expect(authoriseJoin(...args(h, restricted), MEMBER)).toBe(ALICE);
    expect(errcodeOf(() => authoriseJoin(...args(h, restricted), `@x:${REMOTE}`))).toBe("403 M_FORBIDDEN");
    const invited = `@inv:${REMOTE}`;
    await setMembership(h, restricted, invited, "invite", ALICE);
    expect(authoriseJoin(...args(h, restricted), invited)).toBeUndefined();

    const unknown = await newRoom(h, "10", { joinRule: "restricted", allow: [cond("!unknown:x.org")] });
    expect(errcodeOf(() => authoriseJoin(...args(h, unknown), MEMBER))).toBe("400 M_UNABLE_TO_AUTHORISE_JOIN");

    const noInviter = await newRoom(h, "10", { joinRule: "restricted", allow: [cond(allowed)], powerLevels: { invite: 101 } });
    expect(errcodeOf(() => authoriseJoin(...args(h, noInviter), MEMBER))).toBe("400 M_UNABLE_TO_GRANT_JOIN");
    expect(errcodeOf(() => confirmAuthorisation(...args(h, noInviter), MEMBER, ALICE))).toBe("400 M_UNABLE_TO_GRANT_JOIN");
    expect(confirmAuthorisation(...args(h, restricted), MEMBER, ALICE)).toBeUndefined();
  });
});

function args(h: Harness, roomId: string) {
  const { ctx, state } = ctxAndState(h, roomId);
  return [ctx, state] as const;
}
