/** What the visibility rules read: committed storage and the parsed-event cache. `RoomService` fits. */
import type { Storage } from "../../storage/storage.js";
import type { EventLoader } from "../event-loader.js";

export interface VisibilitySource {
  readonly storage: Storage;
  readonly loader: EventLoader;
}
