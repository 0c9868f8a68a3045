/**
 * `GET /_matrix/federation/v1/state/{roomId}?event_id=` (events.yaml): `/state_ids` with the
 * PDUs themselves (`pdus`, `auth_chain`), spliced in as stored. Same errors as `/state_ids`
 * (the ACL applies: server-server-api.md lists `/v1/state` among the protected prefixes).
 *
 * State and auth events are served unredacted: the requester is in the room, and it cannot
 * check auth rules against redacted state it never saw whole.
 */
import type { App } from "../../app.js";
import type { FederationAuth, Handler } from "../../http/request.js";
import type { Storage } from "../../storage/storage.js";
import { withPduArrays } from "./pdu-json.js";
import { stateAtEventForRequest } from "./state-at-event.js";

export function getStateHandler(app: App): Handler<FederationAuth> {
  return (req) => {
    const { stateNids, authChainNids } = stateAtEventForRequest(app, req);
    return withPduArrays({}, { auth_chain: pduJsons(app.storage, authChainNids), pdus: pduJsons(app.storage, stateNids) });
  };
}

function pduJsons(storage: Storage, nids: readonly number[]): string[] {
  const out: string[] = [];
  for (const nid of nids) {
    const rec = storage.events.getEventByNid(nid);
    if (rec !== undefined) out.push(rec.pduJson);
  }
  return out;
}
