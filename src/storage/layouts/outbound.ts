/**
 * Sub-databases of this domain: Outbound federation: durable per-destination queues of PDUs and EDUs, destination retry state.
 * Same conventions as src/storage/layout.ts (which merges this object into LAYOUT).
 */
import { db } from "../db-spec.js";

export const OUTBOUND_LAYOUT = {
} as const;

// Keeps the import in use until the first entry is added.
void db;
