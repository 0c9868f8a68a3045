/**
 * The room summary's heroes (sync.yaml RoomSummary `m.heroes`): "the first 5 members of the
 * room, ordered by stream ordering, which are joined or invited … must never include the
 * client's own user ID. When no joined or invited members are available, this should consist
 * of the banned and left users." Heroes are only needed when the room has no usable name.
 * Used by /sync summaries and by send_join's lazy member state (the heroes' member events).
 *
 * Member event nids stand in for stream order (nids are allocated in arrival order).
 */
import type { JsonObject } from "../../events/types.js";

export const HEROES = 5;

interface Candidate {
  readonly userId: string;
  readonly membership: string;
  readonly nid: number;
}

/** Feed it a room's members in any order; `heroes()` gives the first five by member-event nid. */
export class HeroPicker {
  private readonly active: Candidate[] = [];
  private readonly former: Candidate[] = [];

  /** `exclude`: the user the heroes are for (never one of them). */
  constructor(private readonly exclude: string | undefined) {}

  add(m: Candidate): void {
    if (m.userId === this.exclude) return;
    if (m.membership === "join" || m.membership === "invite") keepFirst(this.active, m);
    else if (m.membership === "leave" || m.membership === "ban") keepFirst(this.former, m);
  }

  heroes(): string[] {
    return (this.active.length > 0 ? this.active : this.former).map((m) => m.userId);
  }
}

function keepFirst(list: Candidate[], item: Candidate): void {
  if (list.length === HEROES && item.nid >= list[HEROES - 1]!.nid) return;
  list.push(item);
  list.sort((a, b) => a.nid - b.nid);
  if (list.length > HEROES) list.pop();
}

/** A non-empty `m.room.name` or `m.room.canonical_alias` makes heroes unnecessary. */
export function isNamedRoom(contentOf: (type: string) => JsonObject | undefined): boolean {
  const name = contentOf("m.room.name")?.["name"];
  const alias = contentOf("m.room.canonical_alias")?.["alias"];
  return (typeof name === "string" && name !== "") || (typeof alias === "string" && alias !== "");
}
