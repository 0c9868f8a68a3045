/**
 * `GET /_matrix/federation/v1/state_ids/{roomId}?event_id=` (events.yaml): the state before
 * the event as `pdu_ids`, its auth chain as `auth_chain_ids`. 403 M_FORBIDDEN when the
 * requester is ACL-denied or not in the room, 404 M_NOT_FOUND for an unknown event or state.
 */
import type { App } from "../../app.js";
import { json, type FederationAuth, type Handler } from "../../http/request.js";
import { stateAtEventForRequest } from "./state-at-event.js";

export function getStateIdsHandler(app: App): Handler<FederationAuth> {
  return (req) => {
    const { stateNids, authChainNids } = stateAtEventForRequest(app, req);
    return json({
      auth_chain_ids: app.storage.events.eventIdsOf(authChainNids),
      pdu_ids: app.storage.events.eventIdsOf(stateNids),
    });
  };
}
