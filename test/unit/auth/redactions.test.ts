import { describe, expect, it } from "vitest";
import { redactionAllowed } from "../../../src/rooms/auth/redaction-allowed.js";
import { ALICE, BOB, TestRoom, reasonOf, versions, creatorUsers } from "./fixtures.js";

const ALICE_OTHER = "@other:a.example";

/** Room with ALICE (creator), BOB (a.example's neighbour b.example) and ALICE_OTHER joined; redact 50. */
function room(id: string): TestRoom {
  return new TestRoom(id, { joined: [BOB, ALICE_OTHER] });
}

describe("v1/v2: redactions are in the auth rules (rule 11)", () => {
  it.each(versions(1, 2))("v%s: a sender at the redact level may redact anything", (id) => {
    const r = room(id);
    const target = r.message(BOB);
    expect(r.check(r.event({ type: "m.room.redaction", sender: ALICE, redacts: target.eventId, content: {} })).allowed).toBe(true);
  });

  it.each(versions(1, 2))("v%s: an event from the redaction's own event-ID domain may be redacted without the level", (id) => {
    const r = room(id);
    const target = r.message(ALICE_OTHER);
    const redaction = r.event({ type: "m.room.redaction", sender: ALICE_OTHER, redacts: target.eventId, content: {} });
    expect(target.eventId.endsWith(":a.example") && redaction.eventId.endsWith(":a.example")).toBe(true);
    expect(r.check(redaction).allowed).toBe(true);
  });

  it.each(versions(1, 2))("v%s: another domain's event without the level is rejected", (id) => {
    const r = room(id);
    const target = r.message(ALICE);
    const redaction = r.event({ type: "m.room.redaction", sender: BOB, redacts: target.eventId, content: {} });
    expect(reasonOf(r.check(redaction))).toMatch(/m.room.redaction: sender is below the redact level/);
    expect(redactionAllowed(redaction, target, r.lookup(), r.version)).toBe(false);
  });
});

describe("v3+: redactions pass the auth rules; applying them is a separate check", () => {
  it.each(versions(3))("v%s: the auth rules ignore the redact level", (id) => {
    const r = room(id);
    const target = r.message(ALICE);
    const redaction = r.event({ type: "m.room.redaction", sender: BOB, redacts: target.eventId, content: {} });
    expect(r.check(redaction).allowed).toBe(true);
  });

  it.each(versions(3))("v%s: events[m.room.redaction] still governs sending one", (id) => {
    const r = room(id);
    const creator = creatorUsers(r);
    r.powerLevels({ users: creator, events: { "m.room.redaction": 10 } });
    const target = r.message(BOB);
    expect(reasonOf(r.check(r.event({ type: "m.room.redaction", sender: BOB, redacts: target.eventId, content: {} })))).toMatch(/below the level required for m.room.redaction/);
  });

  it.each(versions(3))("v%s: redactionAllowed: redact level, or same sender domain", (id) => {
    const r = room(id);
    const s = r.lookup();
    const byAlice = r.message(ALICE);
    const byBob = r.message(BOB);
    const redact = (sender: string, target: typeof byAlice) => r.event({ type: "m.room.redaction", sender, redacts: target.eventId, content: {} });
    expect(redactionAllowed(redact(ALICE, byBob), byBob, s, r.version)).toBe(true); // redact level
    expect(redactionAllowed(redact(ALICE_OTHER, byAlice), byAlice, s, r.version)).toBe(true); // same domain
    expect(redactionAllowed(redact(BOB, byBob), byBob, s, r.version)).toBe(true); // own event
    expect(redactionAllowed(redact(BOB, byAlice), byAlice, s, r.version)).toBe(false);
  });

  it.each(versions(3))("v%s: redactionAllowed: never across rooms or for another event", (id) => {
    const r = room(id);
    const other = new TestRoom(id, { creator: BOB });
    expect(other.roomId).not.toBe(r.roomId);
    const s = r.lookup();
    const target = r.message(BOB);
    const elsewhere = other.event({ type: "m.room.redaction", sender: BOB, redacts: target.eventId, content: {} });
    expect(redactionAllowed(elsewhere, target, s, r.version)).toBe(false);
    const wrongTarget = r.event({ type: "m.room.redaction", sender: ALICE, redacts: "$nope", content: {} });
    expect(redactionAllowed(wrongTarget, target, s, r.version)).toBe(false);
  });
});
