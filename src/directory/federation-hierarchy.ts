/**
 * `GET /_matrix/federation/v1/hierarchy/{roomId}?suggested_only=` (space_hierarchy.yaml,
 * server-server-api.md "Spaces"): the room's summary with its `children_state`, a summary of
 * each child room we hold that the requesting server could peek/join, and the IDs of the
 * children it could not (`inaccessible_children`). Children we hold nothing about are left
 * out ("Rooms which the responding server cannot provide details on will be outright
 * excluded"). No pagination, one level deep.
 *
 * 404 M_NOT_FOUND when the room is unknown here or the requesting server could not peek/join
 * it; 403 M_FORBIDDEN when the room's server ACL denies the requester.
 */
import type { App } from "../app.js";
import { Errors } from "../errors.js";
import { json, type FederationAuth, type Handler } from "../http/request.js";
import { assertServerAllowed } from "../federation/acl.js";
import { boolParam } from "../federation/events/query-params.js";
import { mayPeekOrJoin } from "./room-access-rules.js";
import { SPACE_ROOM_TYPE, spaceChildren, summariseRoom, type RoomSummary, type SpaceChildState } from "./room-summary.js";

export interface HierarchyRoom extends RoomSummary {
  children_state: SpaceChildState[];
}

export interface FederationHierarchy {
  room: HierarchyRoom;
  children: HierarchyRoom[];
  inaccessible_children: string[];
}

export function getFederationHierarchyHandler(app: App): Handler<FederationAuth> {
  return (req) => {
    const roomId = req.params.roomId!;
    const suggestedOnly = boolParam(req.query, "suggested_only") ?? false;
    return json(federationHierarchy(app, roomId, req.auth.origin, suggestedOnly));
  };
}

export function federationHierarchy(app: App, roomId: string, origin: string, suggestedOnly: boolean): FederationHierarchy {
  const summary = summariseRoom(app.rooms, roomId);
  if (summary === undefined) throw Errors.notFound("Room does not exist.");
  assertServerAllowed(app.storage, roomId, origin);
  const who = { server: origin };
  if (!mayPeekOrJoin(app.rooms, summary, who)) throw Errors.notFound("Room does not exist.");
  const childStates = childStatesOf(app, summary, suggestedOnly);
  const children: HierarchyRoom[] = [];
  const inaccessible: string[] = [];
  for (const child of childStates) {
    const s = summariseRoom(app.rooms, child.state_key);
    if (s === undefined) continue;
    if (mayPeekOrJoin(app.rooms, s, who)) children.push(withChildren(app, s, suggestedOnly));
    else inaccessible.push(child.state_key);
  }
  return { room: { ...summary, children_state: childStates }, children, inaccessible_children: inaccessible };
}

/**
 * The space's children, optionally only the `suggested` ones. Empty for a room that is not a
 * space: m.space.child "Has no effect in rooms which are not spaces".
 */
export function childStatesOf(app: App, summary: RoomSummary, suggestedOnly: boolean): SpaceChildState[] {
  if (summary.room_type !== SPACE_ROOM_TYPE) return [];
  const all = spaceChildren(app.rooms, summary.room_id);
  return suggestedOnly ? all.filter((c) => c.content.suggested === true) : [...all];
}

export function withChildren(app: App, s: RoomSummary, suggestedOnly: boolean): HierarchyRoom {
  return { ...s, children_state: childStatesOf(app, s, suggestedOnly) };
}
