/**
 * Room tagging (client-server modules/tags.md, tags.yaml): GET /user/{userId}/rooms/{roomId}/tags,
 * PUT and DELETE …/tags/{tag}.
 *
 * A room's tags are one room account-data event, `m.tag`, whose content is
 * `{"tags": {name: {order?}}}`; every change rewrites that event (inside one write, so two
 * concurrent tag changes both land) and so reaches the user's other devices through the room's
 * `account_data` in /sync. "The name of a tag MUST NOT exceed 255 bytes"; `order` is "a number
 * between 0 and 1" used for sorting, so it must be a number (its range is the client's affair).
 */
import type { Router } from "../../http/router.js";
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import type { JsonObject, JsonValue } from "../../events/types.js";
import { json, type HttpRequest } from "../../http/request.js";
import { rateLimited } from "../rate-limit.js";
import { ownerOf, roomParam } from "./params.js";
import type { AccountDataStore } from "./store.js";

export const TAG = "m.tag";
const MAX_TAG_BYTES = 255;
const V3 = "/_matrix/client/v3";

export function registerTagRoutes(router: Router, app: App, store: AccountDataStore): void {
  const base = `${V3}/user/:userId/rooms/:roomId/tags`;

  router.get(
    base,
    (req) => {
      const userId = ownerOf(req);
      return json({ tags: tagsOf(store.get(userId, roomParam(req), TAG)) });
    },
    { auth: "client" },
  );

  router.put(
    `${base}/:tag`,
    rateLimited(app, async (req) => {
      const { userId, roomId, tag } = tagParams(req);
      const body = req.body as JsonObject;
      if (body.order !== undefined && typeof body.order !== "number") throw Errors.invalidParam("order must be a number");
      await store.update(userId, roomId, TAG, (current) => ({ ...current, tags: { ...tagsOf(current), [tag]: body } }));
      return json({});
    }),
    { auth: "client", body: "object" },
  );

  router.delete(
    `${base}/:tag`,
    rateLimited(app, async (req) => {
      const { userId, roomId, tag } = tagParams(req);
      await store.update(userId, roomId, TAG, (current) => {
        const tags = tagsOf(current);
        if (!Object.hasOwn(tags, tag)) return undefined;
        delete tags[tag];
        return { ...current, tags };
      });
      return json({});
    }),
    { auth: "client", body: "object-or-empty" },
  );
}

function tagParams(req: HttpRequest): { userId: string; roomId: string; tag: string } {
  const userId = ownerOf(req);
  const roomId = roomParam(req);
  const tag = req.params.tag!;
  if (tag.length === 0 || Buffer.byteLength(tag, "utf8") > MAX_TAG_BYTES) throw Errors.invalidParam(`A tag must be 1 to ${MAX_TAG_BYTES} bytes`);
  return { userId, roomId, tag };
}

/** A copy of the `tags` object of an `m.tag` content (empty when absent or malformed). */
function tagsOf(content: JsonObject | undefined): Record<string, JsonValue> {
  const tags = content?.tags;
  if (tags === undefined || tags === null || typeof tags !== "object" || Array.isArray(tags)) return {};
  return { ...tags };
}
