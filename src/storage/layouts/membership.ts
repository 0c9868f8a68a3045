/**
 * Sub-databases of this domain: Membership handshakes: invites and knocks for local users in rooms we may not be in (stripped state for /sync).
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 */
import { db } from "../db-spec.js";

export const MEMBERSHIP_LAYOUT = {
} as const;

// Keeps the import in use until the first entry is added.
void db;
