/**
 * Sub-databases of this domain: Local users, devices, access tokens, profiles, end-to-end key material (device keys, one-time and fallback keys, cross-signing keys).
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 */
import { db } from "../db-spec.js";

export const ACCOUNTS_LAYOUT = {
} as const;

// Keeps the import in use until the first entry is added.
void db;
