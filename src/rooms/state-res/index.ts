/** State resolution: the API the room actor and storage call (see resolve.ts, types.ts). */
export { resolveConflicted, resolveState, separateStateSets, unconflictedView } from "./resolve.js";
export type { ConflictedStateInput, StateMap, StateResProvider, UnconflictedState } from "./types.js";
