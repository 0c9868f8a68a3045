/** Pdu → RoomEvent normalisation and outgoing prev/auth references per event format. */
import { describe, expect, it } from "vitest";
import { encodeBase64 } from "../../../src/events/base64.js";
import { eventReferences, referencedIds, toRoomEvent } from "../../../src/events/event.js";
import { computeEventId, roomIdForCreateEvent } from "../../../src/events/hashes.js";
import type { Pdu } from "../../../src/events/types.js";
import { V, messageEvent } from "./fixtures.js";

describe("toRoomEvent", () => {
  it("v1/v2: pairs become IDs; top-level redacts", () => {
    const v = V("1");
    const pdu = messageEvent(v, { type: "m.room.redaction", redacts: "$victim:origin.test" }) as Pdu;
    const ev = toRoomEvent(pdu, v, "$msg1:origin.test");
    expect(ev).toMatchObject({
      eventId: "$msg1:origin.test",
      roomId: "!room:origin.test",
      type: "m.room.redaction",
      stateKey: undefined,
      sender: "@alice:origin.test",
      prevEvents: ["$prev:origin.test"],
      authEvents: ["$auth:origin.test"],
      depth: 10,
      originServerTs: 1_700_000_000_000,
      redacts: "$victim:origin.test",
    });
    expect(ev.pdu).toBe(pdu);
  });

  it("v3–v10: ID lists pass through; content.redacts is ignored", () => {
    const v = V("10");
    const pdu = messageEvent(v, { type: "m.room.redaction", content: { redacts: "$c" }, redacts: "$top" }) as Pdu;
    const ev = toRoomEvent(pdu, v, "$x");
    expect(ev.prevEvents).toEqual(["$prevevent"]);
    expect(ev.authEvents).toEqual(["$authevent"]);
    expect(ev.redacts).toBe("$top");
  });

  it("v11+: redacts comes from content only, and only for m.room.redaction", () => {
    const v = V("11");
    const pdu = messageEvent(v, { type: "m.room.redaction", content: { redacts: "$c" }, redacts: "$top" }) as Pdu;
    expect(toRoomEvent(pdu, v, "$x").redacts).toBe("$c");
    const notRedaction = messageEvent(v, { content: { redacts: "$c" } }) as Pdu;
    expect(toRoomEvent(notRedaction, v, "$y").redacts).toBeUndefined();
  });

  it("keeps an empty state key distinct from a non-state event", () => {
    const v = V("10");
    expect(toRoomEvent(messageEvent(v, { state_key: "" }) as Pdu, v, "$s").stateKey).toBe("");
  });

  it("v12 create: room ID is the create event's ID with a ! sigil", () => {
    const v = V("12");
    const { room_id: _r, ...create } = messageEvent(v, {
      type: "m.room.create",
      state_key: "",
      content: { room_version: "12" },
      prev_events: [],
      auth_events: [],
    });
    const eventId = computeEventId(create, v);
    const ev = toRoomEvent(create as Pdu, v, eventId);
    expect(ev.roomId).toBe(roomIdForCreateEvent(create, v));
    expect(toRoomEvent(create as Pdu, v, eventId, "!given").roomId).toBe("!given");
    const { room_id: _x, ...orphan } = messageEvent(v);
    expect(() => toRoomEvent(orphan as Pdu, v, "$o")).toThrow(/room_id/);
  });
});

describe("eventReferences", () => {
  const hash = Buffer.alloc(32, 7);
  it("v1/v2 build [id, {sha256}] pairs from the referenced events' reference hashes", () => {
    const lookup = (id: string) => (id === "$a:x" ? hash : id === "$b:x" ? "c3RyaW5n" : undefined);
    const refs = eventReferences(["$a:x", "$b:x"], V("2"), lookup);
    expect(refs).toEqual([
      ["$a:x", { sha256: encodeBase64(hash) }],
      ["$b:x", { sha256: "c3RyaW5n" }],
    ]);
    expect(referencedIds(refs)).toEqual(["$a:x", "$b:x"]);
    expect(() => eventReferences(["$unknown:x"], V("1"), lookup)).toThrow(/\$unknown:x/);
    expect(() => eventReferences(["$a:x"], V("1"))).toThrow();
  });

  it("v3+ list the IDs and never need hashes", () => {
    for (const id of ["3", "4", "11", "12"]) {
      expect(eventReferences(["$a", "$b"], V(id))).toEqual(["$a", "$b"]);
    }
  });
});
