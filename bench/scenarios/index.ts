/** Every bench scenario, in the order `npm run bench` runs them. */
import type { Scenario } from "../lib/types.js";
import { cryptoScenario } from "./crypto.js";
import { ingestScenario } from "./ingest.js";
import { roomsScenario } from "./rooms.js";

export const scenarios: Scenario[] = [cryptoScenario, roomsScenario, ingestScenario];
