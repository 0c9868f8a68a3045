/**
 * "No room is half-written": invariants that hold after every committed write of a room
 * (persist-events.ts writes them all in one LMDB transaction), checked on a database opened
 * after a crash. Each problem is returned as a sentence; an empty list means consistent.
 *
 *   forward extremities   stored, accepted, placed (have a state), and no accepted child
 *   current state         the flat index (room_state) equals the state map at the root in
 *                         room_heads; every slot's event is stored and is that (type, key)
 *   membership indexes    room_members = the member events of the current state (membership
 *                         and event), user_rooms mirrors it, room_hosts counts joined users
 *                         per server
 *   timeline              every room_stream / stream entry names a stored, accepted event
 */
import type { EventRecord } from "../../../src/storage/events.js";
import type { Storage } from "../../../src/storage/storage.js";
import { splitStateKey, stateKey } from "../../../src/events/types.js";
import { prefixRange } from "../../../src/storage/keys.js";

export function checkRoom(storage: Storage, roomNid: number): string[] {
  const problems: string[] = [];
  const room = storage.rooms.getRoomByNid(roomNid);
  const label = room?.roomId ?? `room nid ${roomNid}`;
  const say = (what: string): void => void problems.push(`${label}: ${what}`);
  const dbs = storage.store.dbs;
  const heads = dbs.roomHeads.get(roomNid);
  if (heads === undefined) return problems; // known (e.g. invited) but never joined: nothing placed
  const [extremities, root] = heads;
  const byNid = (nid: number): EventRecord | undefined => storage.events.getEventByNid(nid);

  if (extremities.length === 0) say("no forward extremities");
  for (const nid of extremities) {
    const ev = byNid(nid);
    if (!ev) {
      say(`extremity nid ${nid} is not stored`);
      continue;
    }
    if (ev.roomNid !== roomNid) say(`extremity ${ev.eventId} belongs to another room`);
    if (ev.status !== "accepted") say(`extremity ${ev.eventId} is ${ev.status}`);
    if (ev.stateAfter === null) say(`extremity ${ev.eventId} has no state`);
    for (const child of storage.events.childrenOf(nid)) {
      if (byNid(child)?.status === "accepted") say(`extremity ${ev.eventId} has an accepted child`);
    }
  }

  // Current state: the flat index against the state map at the root.
  const fromMap = storage.state.toMap(root);
  const flat = new Map<string, number>();
  for (const s of storage.rooms.currentState(roomNid)) flat.set(stateKey(s.type, s.stateKey), s.nid);
  if (flat.size !== fromMap.size) say(`flat current state has ${flat.size} slots, the state map ${fromMap.size}`);
  for (const [key, nid] of fromMap) {
    if (flat.get(key) !== nid) say(`slot ${JSON.stringify(splitStateKey(key))}: flat ${flat.get(key)} vs map ${nid}`);
    const ev = byNid(nid);
    const slot = splitStateKey(key);
    if (!ev) say(`state event nid ${nid} is not stored`);
    else if (ev.pdu.type !== slot.type || ev.pdu.state_key !== slot.stateKey) say(`state slot ${JSON.stringify(slot)} holds ${ev.eventId} (${ev.pdu.type})`);
  }

  // Membership indexes against the member events of the current state.
  const expected = new Map<string, [string, number]>();
  const joinedPerServer = new Map<string, number>();
  for (const [key, nid] of fromMap) {
    const slot = splitStateKey(key);
    if (slot.type !== "m.room.member") continue;
    const membership = (byNid(nid)?.pdu.content as { membership?: unknown } | undefined)?.membership;
    if (typeof membership !== "string") continue;
    expected.set(slot.stateKey, [membership, nid]);
    if (membership === "join") {
      const server = slot.stateKey.slice(slot.stateKey.indexOf(":") + 1);
      joinedPerServer.set(server, (joinedPerServer.get(server) ?? 0) + 1);
    }
  }
  const rows = storage.rooms.members(roomNid);
  if (rows.length !== expected.size) say(`room_members has ${rows.length} rows, current state ${expected.size} member events`);
  for (const row of rows) {
    const want = expected.get(row.userId);
    if (!want || want[0] !== row.membership || want[1] !== row.nid) {
      say(`room_members ${row.userId} = ${row.membership}/${row.nid}, current state ${want?.join("/") ?? "none"}`);
    }
    const mirror = dbs.userRooms.get([row.userId, roomNid]);
    if (!mirror || mirror[0] !== row.membership || mirror[1] !== row.nid) say(`user_rooms disagrees for ${row.userId}`);
  }
  const hosts = new Map<string, number>();
  for (const { key, value } of dbs.roomHosts.getRange(prefixRange([roomNid]))) if (key.length === 2) hosts.set(key[1], value);
  for (const [server, n] of joinedPerServer) if (hosts.get(server) !== n) say(`room_hosts ${server} = ${hosts.get(server)}, joined users ${n}`);
  for (const server of hosts.keys()) if (!joinedPerServer.has(server)) say(`room_hosts lists ${server}, which has no joined user`);

  for (const { value: nid } of dbs.roomStream.getRange(prefixRange([roomNid]))) {
    const ev = byNid(nid);
    if (!ev || ev.status !== "accepted") say(`room_stream names ${ev?.eventId ?? `nid ${nid}`} (${ev?.status ?? "missing"})`);
  }
  return problems;
}

/** Every room, plus the global stream. */
export function checkAllRooms(storage: Storage): string[] {
  const problems = storage.rooms.allRoomNids().flatMap((nid) => checkRoom(storage, nid));
  for (const { key, value } of storage.store.dbs.stream.getRange({})) {
    const ev = storage.events.getEventByNid(value[1]);
    if (!ev || ev.roomNid !== value[0]) problems.push(`stream ${key} names a missing or misplaced event`);
  }
  return problems;
}
