/**
 * The state `/state` and `/state_ids` return (events.yaml): "The fully resolved state for the
 * room, prior to considering any state changes induced by the requested event", i.e. the
 * state BEFORE the event, plus the auth chain of those state events.
 *
 * 404 M_NOT_FOUND when the event is unknown, or when "the server doesn't know about the state
 * at that event" (an outlier: held without its state).
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { authChainNids } from "../../rooms/auth-chain.js";
import type { HttpRequest, FederationAuth } from "../../http/request.js";
import { requiredParam } from "./query-params.js";
import { requireEventInRoom, requireRoomForServer } from "./room-access.js";

export interface StateAtEvent {
  /** Nids of the state events, in state-map order. */
  readonly stateNids: number[];
  /** Nids of their auth chain (may overlap the state). */
  readonly authChainNids: number[];
}

export function stateAtEventForRequest(app: App, req: HttpRequest<FederationAuth>): StateAtEvent {
  const roomId = req.params.roomId!;
  const eventId = requiredParam(req.query, "event_id");
  const access = requireRoomForServer(app, roomId, req.auth.origin);
  const rec = requireEventInRoom(app, access, eventId);
  if (rec.stateBefore === null) throw Errors.notFound(`No state known at event ${eventId}`);
  const stateNids: number[] = [];
  for (const [, nid] of app.storage.state.entries(rec.stateBefore)) stateNids.push(nid);
  return { stateNids, authChainNids: authChainNids(app.rooms, stateNids) };
}
