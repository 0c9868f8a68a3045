import { describe, expect, it } from "vitest";
import { isStrippedStateShaped, STRIPPED_STATE_TYPES, toStrippedState } from "../../../src/rooms/membership/stripped-state.js";

describe("stripped state", () => {
  it("keeps exactly sender, type, state_key and content", () => {
    const pdu = { type: "m.room.name", state_key: "", sender: "@a:x", content: { name: "N" }, hashes: { sha256: "h" }, signatures: {}, depth: 3, room_id: "!r:x" };
    expect(toStrippedState(pdu)).toEqual({ type: "m.room.name", state_key: "", sender: "@a:x", content: { name: "N" } });
  });

  it("recognises the legacy shape only when all four fields have the right types", () => {
    expect(isStrippedStateShaped({ type: "t", state_key: "", sender: "@a:x", content: {} })).toBe(true);
    expect(isStrippedStateShaped({ type: "t", sender: "@a:x", content: {} })).toBe(false);
    expect(isStrippedStateShaped({ type: "t", state_key: "", sender: "@a:x", content: [] })).toBe(false);
    expect(isStrippedStateShaped(null)).toBe(false);
  });

  it("lists the spec's types, create first", () => {
    expect(STRIPPED_STATE_TYPES[0]).toBe("m.room.create");
    expect([...STRIPPED_STATE_TYPES].sort()).toEqual(
      ["m.room.create", "m.room.name", "m.room.avatar", "m.room.topic", "m.room.join_rules", "m.room.canonical_alias", "m.room.encryption"].sort(),
    );
  });
});
