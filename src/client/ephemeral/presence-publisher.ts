/**
 * `m.presence` EDUs for our users (server-server-api.md "Presence"): every change of a local
 * user's presence, whatever caused it (/sync, PUT /presence, going offline), is pushed to the
 * servers sharing a room with that user ("Servers should only send presence updates for users
 * that the receiving server would be interested in").
 *
 * Changes within one event-loop turn are gathered, so a destination gets one EDU listing every
 * user that changed rather than one EDU each.
 */
import type { App } from "../../app.js";
import { eduServices, presenceContent } from "../../edu/index.js";
import { domainOf } from "../../events/ids.js";
import type { JsonObject } from "../../events/types.js";
import { queueEduSafely, userDestinations } from "./destinations.js";

/** Users per EDU (keeps each EDU well inside the 64 KiB an EDU can reasonably carry). */
const PUSH_PER_EDU = 100;

const started = new WeakSet<App>();

export function startPresencePublisher(app: App): void {
  if (started.has(app)) return;
  started.add(app);
  const edu = eduServices(app);
  const pending = new Set<string>();
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    const byDestination = new Map<string, JsonObject[]>();
    const now = Date.now();
    for (const userId of pending) {
      const e = edu.presence.get(userId);
      if (e === undefined) continue;
      const push: JsonObject = { user_id: userId, ...presenceContent(e, now) };
      for (const d of userDestinations(app, userId)) {
        let list = byDestination.get(d);
        if (list === undefined) byDestination.set(d, (list = []));
        list.push(push);
      }
    }
    pending.clear();
    for (const [destination, push] of byDestination) {
      for (let i = 0; i < push.length; i += PUSH_PER_EDU) {
        void queueEduSafely(app, [destination], "m.presence", { push: push.slice(i, i + PUSH_PER_EDU) });
      }
    }
  };

  edu.notifier.onChange((c) => {
    if (c.stream !== "presence" || c.userId === undefined || domainOf(c.userId) !== app.serverName) return;
    pending.add(c.userId);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}
