/**
 * Sanity at scale (not a timing assertion; the bench measures): a 10 000-member room with
 * 1 000 conflicted member slots resolves, and to the right answer.
 */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../src/events/types.js";
import { resolveState } from "../../../src/rooms/state-res/resolve.js";
import { ALICE, BOB, JOIN, LEAVE, PL_SLOT, RoomFixture, TOPIC_SLOT, memberSlot, nameOf } from "./fixtures.js";

const MEMBERS = 10_000;
const CONFLICTED = 1_000;

function build(versionId: string) {
  const room = new RoomFixture(versionId);
  room.create(ALICE);
  const users: JsonObject = room.version.creatorsHaveInfinitePower ? {} : { [ALICE]: 100 };
  room.add({ name: "MA", type: "m.room.member", stateKey: ALICE, sender: ALICE, content: JOIN });
  room.add({ name: "P0", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users }, auth: ["MA"] });
  room.add({ name: "JR", type: "m.room.join_rules", stateKey: "", sender: ALICE, content: { join_rule: "public" }, auth: ["MA", "P0"] });
  const user = (i: number) => `@u${i}:example.com`;
  for (let i = 0; i < MEMBERS; i++) {
    room.add({ name: `M${i}`, type: "m.room.member", stateKey: user(i), sender: user(i), content: JOIN, auth: ["P0", "JR"] });
  }
  const base = room.state("CREATE", "MA", "P0", "JR", ...Array.from({ length: MEMBERS }, (_, i) => `M${i}`));

  // Fork A: half the conflicted users leave by themselves, and Alice sets a topic.
  const a = new Map(base);
  for (let i = 0; i < CONFLICTED / 2; i++) {
    room.add({ name: `L${i}`, type: "m.room.member", stateKey: user(i), sender: user(i), content: LEAVE, auth: ["P0", `M${i}`] });
    a.set(memberSlot(user(i)), room.id(`L${i}`));
  }
  room.add({ name: "T", type: "m.room.topic", stateKey: "", sender: ALICE, content: { topic: "t" }, auth: ["P0", "MA"] });
  a.set(TOPIC_SLOT, room.id("T"));

  // Fork B: Alice kicks the other half (power events) and raises Bob... who never joined: a
  // power-levels change naming an outsider is still valid.
  const b = new Map(base);
  for (let i = CONFLICTED / 2; i < CONFLICTED; i++) {
    room.add({ name: `K${i}`, type: "m.room.member", stateKey: user(i), sender: ALICE, content: LEAVE, auth: ["P0", "MA", `M${i}`] });
    b.set(memberSlot(user(i)), room.id(`K${i}`));
  }
  room.add({ name: "P1", type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users: { ...users, [BOB]: 50 } }, auth: ["P0", "MA"] });
  b.set(PL_SLOT, room.id("P1"));
  return { room, sets: [a, b], user };
}

describe("large room", () => {
  for (const version of ["11", "12"]) {
    it(`resolves ${CONFLICTED} conflicted slots in a ${MEMBERS}-member room (room ${version})`, () => {
      const { room, sets, user } = build(version);
      const provider = room.provider();
      const t0 = performance.now();
      const got = resolveState(room.version, sets, provider);
      const cold = performance.now() - t0;
      const t1 = performance.now();
      resolveState(room.version, [sets[1]!, sets[0]!], provider);
      const warm = performance.now() - t1;
      console.log(`state-res room v${version}: ${MEMBERS} members, ${CONFLICTED} conflicted slots: cold ${cold.toFixed(1)} ms, warm ${warm.toFixed(1)} ms`);

      expect(got.size).toBe(MEMBERS + 5);
      for (let i = 0; i < CONFLICTED; i++) {
        expect(nameOf(got.get(memberSlot(user(i)))!)).toBe(i < CONFLICTED / 2 ? `L${i}` : `K${i}`);
      }
      expect(nameOf(got.get(memberSlot(user(CONFLICTED)))!)).toBe(`M${CONFLICTED}`);
      expect(nameOf(got.get(PL_SLOT)!)).toBe("P1");
      expect(nameOf(got.get(TOPIC_SLOT)!)).toBe("T");
    });
  }
});
