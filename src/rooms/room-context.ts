/**
 * What the rules and the pipeline need to know about one room while its actor works on it.
 * Built by the actor from storage; cheap to pass around.
 */
import type { RoomVersion } from "../events/room-versions.js";
import type { Storage } from "../storage/storage.js";
import type { EventLoader } from "./event-loader.js";

export interface RoomContext {
  readonly storage: Storage;
  readonly loader: EventLoader;
  readonly roomId: string;
  readonly roomNid: number;
  readonly version: RoomVersion;
  /** Our server name (we never count as a remote destination). */
  readonly serverName: string;
}
