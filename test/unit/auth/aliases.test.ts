import { describe, expect, it } from "vitest";
import { ALICE, BOB, TestRoom, reasonOf, versions } from "./fixtures.js";

describe("m.room.aliases", () => {
  it.each(versions(1, 5))("v%s: a server may set aliases under its own domain without being in the room", (id) => {
    const room = new TestRoom(id);
    const ev = room.event({ type: "m.room.aliases", stateKey: "b.example", sender: BOB, content: { aliases: ["#x:b.example"] } });
    expect(room.check(ev)).toEqual({ allowed: true });
  });

  it.each(versions(1, 5))("v%s: state_key must be the sender's domain", (id) => {
    const room = new TestRoom(id);
    const ev = room.event({ type: "m.room.aliases", stateKey: "a.example", sender: BOB, content: { aliases: [] } });
    expect(reasonOf(room.check(ev))).toMatch(/m.room.aliases: sender domain does not match state_key/);
  });

  it.each(versions(1, 5))("v%s: an aliases event without state_key is rejected", (id) => {
    const room = new TestRoom(id);
    const ev = room.event({ type: "m.room.aliases", sender: ALICE, content: { aliases: [] } });
    expect(reasonOf(room.check(ev))).toMatch(/m.room.aliases: no state_key/);
  });

  it.each(versions(6))("v%s: no special rule: an ordinary state event", (id) => {
    const room = new TestRoom(id);
    const outsider = room.event({ type: "m.room.aliases", stateKey: "b.example", sender: BOB, content: { aliases: [] } });
    expect(reasonOf(room.check(outsider))).toMatch(/sender is not joined/);
    room.member(BOB, "join");
    const member = room.event({ type: "m.room.aliases", stateKey: "b.example", sender: BOB, content: { aliases: [] } });
    expect(reasonOf(room.check(member))).toMatch(/below the level required for m.room.aliases/);
    const admin = room.event({ type: "m.room.aliases", stateKey: "b.example", sender: ALICE, content: { aliases: [] } });
    expect(room.check(admin).allowed).toBe(true); // state_key need not be the sender's domain any more
  });
});
