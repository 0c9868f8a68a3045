/**
 * Rooms for the membership unit tests: the in-process RoomService harness, a local creator and
 * helpers to add local and remote members.
 */
import { getRoomVersion } from "../../../src/events/room-versions.js";
import type { JsonObject } from "../../../src/events/types.js";
import type { RoomContext } from "../../../src/rooms/room-context.js";
import { StateView } from "../../../src/rooms/state-view.js";
import { LOCAL, RemoteServer, type Harness } from "../../helpers/rooms.js";

export const ALICE = `@alice:${LOCAL}`;
export const local = (name: string) => `@${name}:${LOCAL}`;

export async function newRoom(h: Harness, v: string, opts: { joinRule?: string; powerLevels?: JsonObject; allow?: JsonObject[] } = {}): Promise<string> {
  const version = getRoomVersion(v)!;
  const users: JsonObject = version.creatorsHaveInfinitePower ? {} : { [ALICE]: 100 };
  const joinRules: JsonObject = { join_rule: opts.joinRule ?? "public" };
  if (opts.allow) joinRules.allow = opts.allow;
  const { roomId } = await h.rooms.createRoom({
    version,
    creator: ALICE,
    createContent: {},
    initialEvents: () => [
      { type: "m.room.member", stateKey: ALICE, sender: ALICE, content: { membership: "join" } },
      { type: "m.room.power_levels", stateKey: "", sender: ALICE, content: { users, ...(opts.powerLevels ?? {}) } },
      { type: "m.room.join_rules", stateKey: "", sender: ALICE, content: joinRules },
    ],
  });
  return roomId;
}

export async function setMembership(h: Harness, roomId: string, user: string, membership: string, sender = user): Promise<void> {
  await h.rooms.send(roomId, { type: "m.room.member", stateKey: user, sender, content: { membership } });
}

/** A remote user's membership event, received as over /send. */
export async function remoteMembership(h: Harness, remote: RemoteServer, roomId: string, user: string, membership: string): Promise<string> {
  const ev = remote.event(roomId, { type: "m.room.member", stateKey: user, sender: user, content: { membership } });
  const [o] = await h.rooms.actor(roomId).receive([{ event: ev }]);
  if (o?.status !== "accepted") throw new Error(`not accepted: ${JSON.stringify(o)}`);
  return ev.eventId;
}

export function ctxAndState(h: Harness, roomId: string): { ctx: RoomContext; state: StateView } {
  const ctx = h.rooms.context(roomId)!;
  return { ctx, state: new StateView(ctx.storage, ctx.loader, ctx.storage.rooms.getHeads(ctx.roomNid).stateRoot) };
}
