/**
 * Sub-databases of this domain: EDU-borne data: receipts, presence, remote device lists, to-device inboxes.
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 */
import { db } from "../db-spec.js";

export const EPHEMERAL_LAYOUT = {
} as const;

// Keeps the import in use until the first entry is added.
void db;
