/**
 * Sub-databases of this domain: Room aliases and the published room directory.
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 */
import { db } from "../db-spec.js";

export const DIRECTORY_LAYOUT = {
} as const;

// Keeps the import in use until the first entry is added.
void db;
