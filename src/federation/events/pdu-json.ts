/**
 * Federation responses that carry stored PDUs. The PDUs are spliced in as the JSON text they
 * were stored as (EventRecord.pduJson): no parse, no re-serialisation, and byte-for-byte what
 * was signed and hashed.
 */
import { bytes, type BytesResponse } from "../../http/request.js";

const JSON_TYPE = "application/json";

/** `{...fields, [key]: [pdu, pdu, …]}` with the PDUs as raw JSON text. */
export function withPduArrays(fields: Readonly<Record<string, unknown>>, arrays: Readonly<Record<string, readonly string[]>>): BytesResponse {
  const head = JSON.stringify(fields);
  const parts: string[] = [];
  for (const [key, pdus] of Object.entries(arrays)) parts.push(`${JSON.stringify(key)}:[${pdus.join(",")}]`);
  const body = head === "{}" ? `{${parts.join(",")}}` : `${head.slice(0, -1)}${parts.length > 0 ? "," : ""}${parts.join(",")}}`;
  return bytes(body, JSON_TYPE);
}

/** A transaction (definitions/transaction.yaml) of PDUs: `/event`, `/backfill`. */
export function pduTransaction(origin: string, pdus: readonly string[]): BytesResponse {
  return withPduArrays({ origin, origin_server_ts: Date.now() }, { pdus });
}
