/**
 * The two request shapes of `/publicRooms` (client and federation alike): GET query parameters
 * (`limit`, `since`, `include_all_networks`, `third_party_instance_id`) and the POST body
 * (those plus `filter.generic_search_term` and `filter.room_types`). Bad input is 400
 * M_INVALID_PARAM (query) or M_BAD_JSON (body).
 */
import { z } from "zod";
import { Errors } from "../errors.js";
import type { JsonObject } from "../events/types.js";
import { boolParam, intParam } from "../federation/events/query-params.js";
import type { PublicRoomsQuery } from "./public-rooms.js";

export function publicRoomsQueryFromParams(query: URLSearchParams): PublicRoomsQuery {
  const limit = intParam(query, "limit", { min: 0 });
  const since = query.get("since") ?? undefined;
  const includeAllNetworks = boolParam(query, "include_all_networks");
  const thirdPartyInstanceId = query.get("third_party_instance_id") ?? undefined;
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(since ? { since } : {}),
    ...(includeAllNetworks !== undefined ? { includeAllNetworks } : {}),
    ...(thirdPartyInstanceId ? { thirdPartyInstanceId } : {}),
  };
}

const Body = z.object({
  limit: z.number().int().min(0).optional(),
  since: z.string().optional(),
  filter: z
    .object({
      generic_search_term: z.string().max(1000).optional(),
      room_types: z.array(z.string().nullable()).max(100).optional(),
    })
    .optional(),
  include_all_networks: z.boolean().optional(),
  third_party_instance_id: z.string().optional(),
});

export function publicRoomsQueryFromBody(body: unknown): PublicRoomsQuery {
  const parsed = Body.safeParse(body);
  if (!parsed.success) throw Errors.badJson(`Invalid publicRooms request: ${parsed.error.issues[0]?.message ?? "bad shape"}`);
  const b = parsed.data;
  return {
    ...(b.limit !== undefined ? { limit: b.limit } : {}),
    ...(b.since ? { since: b.since } : {}),
    ...(b.filter?.generic_search_term !== undefined ? { genericSearchTerm: b.filter.generic_search_term } : {}),
    ...(b.filter?.room_types !== undefined ? { roomTypes: b.filter.room_types } : {}),
    ...(b.include_all_networks !== undefined ? { includeAllNetworks: b.include_all_networks } : {}),
    ...(b.third_party_instance_id !== undefined ? { thirdPartyInstanceId: b.third_party_instance_id } : {}),
  };
}

/** The POST body to forward a client's request to another server's federation endpoint. */
export function federationBodyOf(q: PublicRoomsQuery): JsonObject {
  const body: JsonObject = {};
  if (q.limit !== undefined) body.limit = q.limit;
  if (q.since !== undefined) body.since = q.since;
  const filter: JsonObject = {};
  if (q.genericSearchTerm !== undefined) filter.generic_search_term = q.genericSearchTerm;
  if (q.roomTypes !== undefined) filter.room_types = [...q.roomTypes];
  if (Object.keys(filter).length > 0) body.filter = filter;
  if (q.includeAllNetworks !== undefined) body.include_all_networks = q.includeAllNetworks;
  if (q.thirdPartyInstanceId !== undefined) body.third_party_instance_id = q.thirdPartyInstanceId;
  return body;
}
