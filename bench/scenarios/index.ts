/** Every bench scenario, in the order `npm run bench` runs them. */
import type { Scenario } from "../lib/types.js";
import { clientScenario } from "./client.js";
import { cryptoScenario } from "./crypto.js";
import { ingestScenario } from "./ingest.js";
import { joinScenario } from "./join.js";
import { roomsScenario } from "./rooms.js";
import { stateResScenario } from "./state-res.js";

export const scenarios: Scenario[] = [cryptoScenario, roomsScenario, stateResScenario, ingestScenario, joinScenario, clientScenario];
