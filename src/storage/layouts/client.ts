/**
 * Sub-databases of this domain: Client-server API state: filters, client transaction IDs, room tags/account data, sync positions.
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 */
import { db } from "../db-spec.js";

export const CLIENT_LAYOUT = {
} as const;

// Keeps the import in use until the first entry is added.
void db;
