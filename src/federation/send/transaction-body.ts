/**
 * The body of PUT /_matrix/federation/v1/send/{txnId} (transactions.yaml,
 * definitions/transaction.yaml, definitions/edu.yaml):
 *
 *   { origin, origin_server_ts, pdus: [object ≤ 50], edus?: [{edu_type, content} ≤ 100] }
 *
 * The envelope is checked strictly: a body that breaks the schema is answered 400 and
 * nothing in it is processed. The PDUs themselves are only required to be objects here;
 * everything else about them is receipt check 1, per PDU, with a per-PDU result.
 *
 * Error code: M_BAD_JSON for every schema violation, the counts included. The client-server
 * catalogue defines M_BAD_JSON as "valid JSON, but malformed in some way, e.g. missing required
 * keys, invalid values for keys", which is what an over-long `pdus` array is (transaction.yaml:
 * "Must not include more than 50 PDUs"); M_INVALID_PARAM is for a request parameter with a
 * wrong value, and the body is not a parameter. A body `origin` other than the server that
 * signed the request is also M_BAD_JSON: an invalid value, not a permission question (the
 * X-Matrix check already established who is asking).
 */
import { Errors } from "../../errors.js";
import { isJsonObject } from "../../json.js";
import type { JsonObject } from "../../events/types.js";
import type { Edu } from "../../edu/inbound/index.js";

/** Spec limits: server-server-api.md "Transactions". */
export const MAX_PDUS = 50;
export const MAX_EDUS = 100;

export interface Transaction {
  readonly origin: string;
  readonly originServerTs: number;
  readonly pdus: readonly JsonObject[];
  readonly edus: readonly Edu[];
}

export function parseTransaction(body: unknown, authenticatedOrigin: string): Transaction {
  if (!isJsonObject(body)) throw Errors.badJson("Transaction must be a JSON object");
  const { origin, origin_server_ts: ts, pdus, edus } = body;
  if (typeof origin !== "string") throw Errors.badJson("'origin' must be a string");
  if (origin !== authenticatedOrigin) throw Errors.badJson(`'origin' ${origin} is not the server that signed the request`);
  if (typeof ts !== "number" || !Number.isInteger(ts)) throw Errors.badJson("'origin_server_ts' must be an integer");
  if (!Array.isArray(pdus)) throw Errors.badJson("'pdus' must be an array");
  if (pdus.length > MAX_PDUS) throw Errors.badJson(`A transaction may hold at most ${MAX_PDUS} PDUs (got ${pdus.length})`);
  if (!pdus.every(isJsonObject)) throw Errors.badJson("Every PDU must be a JSON object");
  if (edus !== undefined && !Array.isArray(edus)) throw Errors.badJson("'edus' must be an array");
  const eduList = edus ?? [];
  if (eduList.length > MAX_EDUS) throw Errors.badJson(`A transaction may hold at most ${MAX_EDUS} EDUs (got ${eduList.length})`);
  for (const edu of eduList) {
    if (!isJsonObject(edu) || typeof edu.edu_type !== "string" || !isJsonObject(edu.content)) {
      throw Errors.badJson("Every EDU must be an object with a string 'edu_type' and an object 'content'");
    }
  }
  return { origin, originServerTs: ts, pdus: pdus as JsonObject[], edus: eduList as unknown as Edu[] };
}
