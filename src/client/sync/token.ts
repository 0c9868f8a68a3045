/**
 * The /sync `since` / `next_batch` token (client-server-api "Syncing"): opaque to clients, to us
 * the position of every stream a sync response covers.
 *
 *   s12_m3_r7_t2_p0_d9_l4_e0_a1_bk3x9q2
 *   │   │  │  │  │  │  │  │  │  └ b: boot ID of this process: typing positions are in memory and
 *   │   │  │  │  │  │  │  │  │       restart at 0, so a typing position of another boot reads as 0
 *   │   │  │  │  │  │  │  │  └ a: account data
 *   │   │  │  │  │  │  │  └ e: remote users' device lists (src/edu/device-lists.ts)
 *   │   │  │  │  │  │  └ l: local users' device lists (src/accounts/device-lists.ts)
 *   │   │  │  │  │  └ d: to-device inbox (acknowledged up to here when used as `since`)
 *   │   │  │  │  └ p: presence
 *   │   │  │  └ t: typing
 *   │   │  └ r: receipts
 *   │   └ m: pending invites/knocks (src/rooms/membership/membership-store.ts)
 *   └ s: the global room stream (storage `stream` and `state_deltas`, one counter)
 *
 * Components are `_`-separated, each a letter and its value; unknown letters are ignored and
 * missing ones read as 0, so streams can be added without breaking old tokens.
 *
 * Room positions ("s" alone) are also the pagination tokens the client gets as `prev_batch`,
 * and `/rooms/{roomId}/messages` accepts both (its `from` may be a `next_batch` or a
 * `prev_batch`: message_pagination.yaml). A room position P names the gap just after stream
 * ordering P: paginating backwards from it returns orderings ≤ P, forwards > P. Backfilled
 * events have negative orderings, so P may be negative.
 */
import { Errors } from "../../errors.js";

export interface SyncPositions {
  /** s: global room stream position. */
  readonly room: number;
  /** m: membership (invite/knock) stream. */
  readonly membership: number;
  /** r */
  readonly receipts: number;
  /** t, valid for `boot` only. */
  readonly typing: number;
  /** p */
  readonly presence: number;
  /** d */
  readonly toDevice: number;
  /** l */
  readonly deviceLists: number;
  /** e */
  readonly remoteDeviceLists: number;
  /** a */
  readonly accountData: number;
  /** b: the process the typing position belongs to. */
  readonly boot: string;
}

const LETTERS: readonly [keyof SyncPositions, string][] = [
  ["room", "s"],
  ["membership", "m"],
  ["receipts", "r"],
  ["typing", "t"],
  ["presence", "p"],
  ["toDevice", "d"],
  ["deviceLists", "l"],
  ["remoteDeviceLists", "e"],
  ["accountData", "a"],
];
const FIELD_BY_LETTER = new Map(LETTERS.map(([field, letter]) => [letter, field]));
const INTEGER = /^-?\d{1,15}$/;
const BOOT = /^[0-9a-z]{1,16}$/;
const MAX_TOKEN_LENGTH = 256;

export const ZERO_POSITIONS: SyncPositions = {
  room: 0,
  membership: 0,
  receipts: 0,
  typing: 0,
  presence: 0,
  toDevice: 0,
  deviceLists: 0,
  remoteDeviceLists: 0,
  accountData: 0,
  boot: "0",
};

export function formatSyncToken(p: SyncPositions): string {
  const parts = LETTERS.map(([field, letter]) => `${letter}${p[field] as number}`);
  parts.push(`b${p.boot}`);
  return parts.join("_");
}

/** Parses a token; `undefined` when it is not one of ours. */
export function tryParseSyncToken(token: string): SyncPositions | undefined {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
  const out: { -readonly [K in keyof SyncPositions]: SyncPositions[K] } = { ...ZERO_POSITIONS };
  for (const part of token.split("_")) {
    const letter = part.charAt(0);
    const value = part.slice(1);
    if (letter === "b") {
      if (!BOOT.test(value)) return undefined;
      out.boot = value;
      continue;
    }
    const field = FIELD_BY_LETTER.get(letter);
    if (field === undefined) {
      // Another stream from a newer version: ignore it, but it must still look like one.
      if (!/^[a-z]$/.test(letter) || !INTEGER.test(value)) return undefined;
      continue;
    }
    if (!INTEGER.test(value)) return undefined;
    const n = Number(value);
    // Only the room stream has negative positions (backfilled events, in prev_batch).
    if (n < 0 && field !== "room") return undefined;
    (out as Record<string, number | string>)[field] = n;
  }
  return out;
}

/** `tryParseSyncToken`, or 400 M_INVALID_PARAM naming the parameter. */
export function parseSyncToken(token: string, param = "since"): SyncPositions {
  const p = tryParseSyncToken(token);
  if (p === undefined) throw Errors.invalidParam(`${param} is not a valid sync token`);
  return p;
}

/**
 * The room stream position a `/sync` or pagination token names (for /messages `from`/`to`),
 * or `undefined` when the token is not one of ours.
 */
export function roomPositionOf(token: string): number | undefined {
  return tryParseSyncToken(token)?.room;
}

/**
 * The device-list positions a sync token names (for `/keys/changes` `from`/`to`): local users'
 * stream (`l`) and remote users' (`e`).
 */
export function deviceListPositionsOf(token: string): { local: number; remote: number } | undefined {
  const p = tryParseSyncToken(token);
  return p === undefined ? undefined : { local: p.deviceLists, remote: p.remoteDeviceLists };
}

/** Has any stream moved from `a` to `b`? (The boot ID counts: a restart resets typing.) */
export function samePositions(a: SyncPositions, b: SyncPositions): boolean {
  for (const [field] of LETTERS) if (a[field] !== b[field]) return false;
  return a.boot === b.boot;
}
