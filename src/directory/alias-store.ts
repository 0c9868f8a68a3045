/**
 * Our server's room aliases (client-server-api "Room aliases"): alias → room ID, who created
 * it, and the reverse index for `GET /rooms/{roomId}/aliases`. Only aliases whose server part
 * is ours are stored; other servers' aliases are resolved over federation (resolve-alias.ts).
 */
import type { StoredAlias } from "../storage/layouts/directory.js";
import { prefixRange } from "../storage/keys.js";
import type { Storage } from "../storage/storage.js";

export interface AliasEntry {
  readonly alias: string;
  readonly roomId: string;
  /** The user who created the mapping (may delete it: directory.yaml DELETE). */
  readonly creator: string;
  readonly createdTs: number;
}

export class AliasStore {
  constructor(private readonly storage: Storage) {}

  get(alias: string): AliasEntry | undefined {
    const s = this.storage.store.dbs.roomAliases.get(alias);
    return s === undefined ? undefined : toEntry(alias, s);
  }

  /** Our aliases pointing at `roomId`, sorted. */
  aliasesOf(roomId: string): string[] {
    const out: string[] = [];
    for (const key of this.storage.store.dbs.roomAliasesByRoom.getKeys(prefixRange([roomId]))) {
      if (key.length === 2) out.push(key[1]);
    }
    return out;
  }

  /** Creates the mapping unless the alias is taken; false when it was (nothing changed). */
  async create(alias: string, roomId: string, creator: string): Promise<boolean> {
    return this.storage.write((w) => {
      if (w.read("roomAliases", alias) !== undefined) return false;
      w.put("roomAliases", alias, [roomId, creator, Date.now()]);
      w.put("roomAliasesByRoom", [roomId, alias], 1);
      return true;
    });
  }

  /** Removes the mapping; the removed entry, or undefined when there was none. */
  async delete(alias: string): Promise<AliasEntry | undefined> {
    return this.storage.write((w) => {
      const s = w.read("roomAliases", alias);
      if (s === undefined) return undefined;
      w.remove("roomAliases", alias);
      w.remove("roomAliasesByRoom", [s[0], alias]);
      return toEntry(alias, s);
    });
  }
}

function toEntry(alias: string, s: StoredAlias): AliasEntry {
  return { alias, roomId: s[0], creator: s[1], createdTs: s[2] };
}
