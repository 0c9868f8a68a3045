/**
 * One power-level value, read the way the room version allows:
 *
 * - v1–v9 accept strings holding an integer (fragments/v1-stringy-power-levels.md): optional
 *   surrounding whitespace, one optional `+`/`-`, base-10 digits with any leading zeroes.
 * - v1–v5 accept floats, truncated toward zero after exponent expansion; non-finite values
 *   (what an out-of-range double parses to) are invalid (fragments/v1-floaty-power-levels.md).
 * - v6–v9 numbers are integers (strict canonical JSON already forbids floats on the wire).
 * - v10+ only JSON integers (rooms/v10.md "Values in m.room.power_levels events must be
 *   integers").
 *
 * Booleans, null, objects and arrays are never power levels.
 */
import type { RoomVersion } from "../../events/room-versions.js";
import type { JsonValue } from "../../events/types.js";

const STRINGY_INT = /^\s*[+-]?[0-9]+\s*$/;

/** The integer a value stands for in this room version, or `null` if it is not a valid level. */
export function parseLevelValue(value: JsonValue | undefined, version: RoomVersion): number | null {
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value === 0 ? 0 : value; // normalise -0
    if (version.floatyPowerLevels && Number.isFinite(value)) return Math.trunc(value) || 0;
    return null;
  }
  if (typeof value === "string" && version.stringyPowerLevels && STRINGY_INT.test(value)) {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n || 0 : null;
  }
  return null;
}
