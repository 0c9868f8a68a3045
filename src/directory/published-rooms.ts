/**
 * The published room directory's membership (client-server-api "Published room directory"):
 * a room is `public` (listed) or `private` (not listed, the default). Whether a listed room is
 * actually shown is public-rooms.ts's call.
 */
import type { Storage } from "../storage/storage.js";

export type DirectoryVisibility = "public" | "private";

export function roomDirectoryVisibility(storage: Storage, roomId: string): DirectoryVisibility {
  return storage.store.dbs.publishedRooms.get(roomId) === undefined ? "private" : "public";
}

/** Publish or unpublish a room (PUT /directory/list/room/{roomId}; createRoom `visibility`). */
export async function setRoomDirectoryVisibility(storage: Storage, roomId: string, visibility: DirectoryVisibility): Promise<void> {
  await storage.write((w) => {
    if (visibility === "public") w.put("publishedRooms", roomId, [Date.now()]);
    else w.remove("publishedRooms", roomId);
  });
}

/** Every published room ID. */
export function publishedRoomIds(storage: Storage): string[] {
  return [...storage.store.dbs.publishedRooms.getKeys()];
}
