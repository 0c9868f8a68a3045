/**
 * The shape of one sub-database entry in the layout (layout.ts and layouts/*.ts).
 */
import type { Key } from "lmdb";

export interface DbSpec<K extends Key, V> {
  /** LMDB sub-database name (stable on disk: never rename). */
  readonly name: string;
  readonly encoding: "msgpack" | "binary";
  readonly readInWrite: boolean;
  /** Documentation only: the key layout, the value layout, who writes it, why it exists. */
  readonly key: string;
  readonly value: string;
  readonly writer: string;
  readonly why: string;
  /** Phantom fields carrying the TypeScript key/value types; never set. */
  readonly _k?: K;
  readonly _v?: V;
}

/** Declare a sub-database: `db<KeyType, ValueType>({...})`. */
export function db<K extends Key, V>(spec: Omit<DbSpec<K, V>, "_k" | "_v">): DbSpec<K, V> {
  return spec;
}
