/**
 * Who created the room, per room version:
 *
 * - v1–v10: `content.creator` of `m.room.create` (required by create rule 1.4).
 * - v11: the create event's `sender` (rooms/v11.md: `creator` was removed).
 * - v12: the `sender` plus every user in `content.additional_creators` (rooms/v12.md
 *   "room creators"); they have infinite power level. In v1–v11 `additional_creators` "serves
 *   no purpose and is not validated" (m.room.create schema), so it is ignored there.
 */
import type { RoomVersion } from "../../events/room-versions.js";
import type { RoomEvent } from "../../events/types.js";

/** Whether this version gives `additional_creators` meaning (derived: same versions as infinite creator power). */
export function hasAdditionalCreators(version: RoomVersion): boolean {
  return version.creatorsHaveInfinitePower;
}

/**
 * The one creator the "first join after create" rule and the no-power-levels default (100)
 * speak of: `content.creator` in v1–v10, `sender` from v11 (member join rule 1, changed in v11).
 */
export function primaryCreator(createEvent: RoomEvent, version: RoomVersion): string | undefined {
  if (!version.createHasCreator) return createEvent.sender;
  const creator = createEvent.content["creator"];
  return typeof creator === "string" ? creator : undefined;
}

/** Every room creator (see the file comment). */
export function roomCreators(createEvent: RoomEvent, version: RoomVersion): Set<string> {
  const creators = new Set<string>();
  const primary = primaryCreator(createEvent, version);
  if (primary !== undefined) creators.add(primary);
  if (hasAdditionalCreators(version)) {
    const extra = createEvent.content["additional_creators"];
    if (Array.isArray(extra)) for (const u of extra) if (typeof u === "string") creators.add(u);
  }
  return creators;
}
