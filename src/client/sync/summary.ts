/**
 * A joined room's `summary` (sync.yaml RoomSummary): `m.joined_member_count`,
 * `m.invited_member_count`, and `m.heroes` when the room has no usable `m.room.name` or
 * `m.room.canonical_alias`: "the first 5 members of the room, ordered by stream ordering, which
 * are joined or invited … must never include the client's own user ID. When no joined or
 * invited members are available, this should consist of the banned and left users."
 *
 * The fields "may be omitted" when unchanged since the last sync, so the section is only built
 * for full sections and when member events are part of the response; it costs one scan of the
 * room's member index. Member event nids stand in for stream order (nids are allocated in
 * persist order).
 */
import type { JsonObject } from "../../events/types.js";
import { HeroPicker, isNamedRoom } from "../../rooms/membership/heroes.js";
import type { SyncRun } from "./run.js";

export interface RoomSummary {
  readonly json: JsonObject;
  /** Heroes, whose member events lazy-loading must include. */
  readonly heroes: readonly string[];
}

export function roomSummary(run: SyncRun, roomNid: number): RoomSummary {
  const rooms = run.storage.rooms;
  let joined = 0;
  let invited = 0;
  const picker = new HeroPicker(run.userId);
  for (const m of rooms.members(roomNid)) {
    if (m.membership === "join") joined++;
    else if (m.membership === "invite") invited++;
    picker.add(m);
  }
  const json: JsonObject = { "m.joined_member_count": joined, "m.invited_member_count": invited };
  let heroes: string[] = [];
  const named = isNamedRoom((type) => {
    const nid = rooms.currentStateNid(roomNid, type, "");
    return nid === undefined ? undefined : run.ctx.app.rooms.loader.byNid(nid)?.content;
  });
  if (!named) {
    heroes = picker.heroes();
    json["m.heroes"] = heroes;
  }
  return { json, heroes };
}
