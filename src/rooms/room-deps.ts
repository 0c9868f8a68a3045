/**
 * What room actors are built from, and the two hooks other components attach to:
 *
 * - `onStored` runs inside the storing write for every stored event, for state derived from
 *   events that must commit with them (e.g. local users' pending invites);
 * - `onPersisted` runs inside the storing write for events that must go to other servers
 *   (our own events and handshake events we accepted), so the outbound queue entry commits
 *   with the event ("nothing acknowledged is lost");
 * - `onCommitted` runs after the commit, for everything stored (wakes `/sync` waiters,
 *   kicks the outbound sender).
 */
import type { CryptoPool } from "../crypto/pool.js";
import type { Storage } from "../storage/storage.js";
import type { WriteBatch } from "../storage/write-batch.js";
import type { EventLoader } from "./event-loader.js";
import type { PersistedInfo } from "./pipeline/receive-events.js";
import type { RoomContext } from "./room-context.js";

export interface RoomHooks {
  /** Inside the storing write, for every event stored (any status, any origin). */
  onStored?(w: WriteBatch, ctx: RoomContext, info: PersistedInfo, origin: string | undefined): void;
  onPersisted?(w: WriteBatch, ctx: RoomContext, info: PersistedInfo, origin: string | undefined): void;
  onCommitted?(ctx: RoomContext, infos: readonly PersistedInfo[], origin: string | undefined): void;
}

export interface RoomDeps {
  readonly storage: Storage;
  readonly loader: EventLoader;
  readonly pool: CryptoPool;
  readonly serverName: string;
  /** Jobs allowed to wait per room before callers get MailboxFullError. */
  readonly mailboxCapacity: number;
  readonly hooks: RoomHooks;
}
