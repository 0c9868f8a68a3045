import { describe, expect, it } from "vitest";
import { compileSyncFilter, DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT, projectEventFields, splitFieldPath } from "../../../src/client/filters.js";
import { matchesRoomEventFilter } from "../../../src/client/format/room-event-filter.js";

describe("sync filters", () => {
  it("defaults the timeline limit and caps it", () => {
    expect(compileSyncFilter({}).room.timelineLimit).toBe(DEFAULT_TIMELINE_LIMIT);
    expect(compileSyncFilter({ room: { timeline: { limit: 3 } } }).room.timelineLimit).toBe(3);
    expect(compileSyncFilter({ room: { timeline: { limit: 10_000_000 } } }).room.timelineLimit).toBe(MAX_TIMELINE_LIMIT);
  });

  it("compiles the room, state and timeline parts", () => {
    const f = compileSyncFilter({
      room: { not_rooms: ["!b:x"], include_leave: true, timeline: { types: ["m.room.*"], not_types: ["m.room.member"] }, state: { lazy_load_members: true } },
      event_format: "federation",
    });
    expect(f.room.includeLeave).toBe(true);
    expect(f.room.notRooms).toEqual(["!b:x"]);
    expect(f.room.state.lazyLoadMembers).toBe(true);
    expect(f.eventFormat).toBe("federation");
    expect(matchesRoomEventFilter(f.room.timeline, { type: "m.room.message" })).toBe(true);
    expect(matchesRoomEventFilter(f.room.timeline, { type: "m.room.member" })).toBe(false);
    expect(matchesRoomEventFilter(f.room.timeline, { type: "org.example" })).toBe(false);
  });

  it("rejects malformed filters with M_BAD_JSON", () => {
    for (const bad of [
      [],
      { room: [] },
      { room: { timeline: { limit: 0 } } },
      { room: { timeline: { types: "m.room.message" } } },
      { event_format: "xml" },
      { event_fields: [1] },
      { room: { include_leave: "yes" } },
    ]) {
      expect(() => compileSyncFilter(bad), JSON.stringify(bad)).toThrowError(expect.objectContaining({ errcode: "M_BAD_JSON" }));
    }
  });

  it("splits dot-separated paths with escapes (appendices: Dot-separated property paths)", () => {
    expect(splitFieldPath("content.body")).toEqual(["content", "body"]);
    expect(splitFieldPath("content.m\\.relates_to")).toEqual(["content", "m.relates_to"]);
    expect(splitFieldPath("content.m\\\\foo")).toEqual(["content", "m\\foo"]);
    expect(splitFieldPath("content.a\\xb")).toEqual(["content", "a\\xb"]);
  });

  it("projects event_fields", () => {
    const ev = { type: "m.room.message", sender: "@a:x", content: { body: "hi", msgtype: "m.text", "m.relates_to": { rel_type: "r" } }, unsigned: { age: 1 } };
    const fields = ["type", "content.body", "content.m\\.relates_to", "content.body.nope", "missing"].map(splitFieldPath);
    expect(projectEventFields(ev, fields)).toEqual({ type: "m.room.message", content: { body: "hi", "m.relates_to": { rel_type: "r" } } });
  });
});
