/**
 * PUT /rooms/{roomId}/typing/{userId} (typing.yaml; modules/typing_notifications.md), and the
 * `m.typing` EDUs that tell the room's other servers (server-server-api.md "Typing
 * Notifications").
 *
 * The user may only speak for themselves and must be joined to the room. The typing store
 * (src/edu/typing.ts) keeps the flag until `timeout`; every change of a room's set of local
 * typers (started, stopped, expired) goes out as one EDU per user that changed. The EDU
 * carries no timeout and receivers drop it after about 30 s, so while a user keeps typing
 * (clients repeat the request every 20–30 s) it is repeated, at most every `REPEAT_EDU_MS`.
 */
import type { App } from "../../app.js";
import { Errors } from "../../errors.js";
import { eduServices, type TypingStore } from "../../edu/index.js";
import { domainOf } from "../../events/ids.js";
import { json, type Handler } from "../../http/request.js";
import { requireClient, requireSelf } from "../auth/authenticator.js";
import { queueEduSafely, roomDestinations } from "./destinations.js";

const DEFAULT_TIMEOUT_MS = 30_000;
/** Longest typing period one request may ask for. */
const MAX_TIMEOUT_MS = 120_000;
const REPEAT_EDU_MS = 20_000;

class TypingFederation {
  /** roomId → local typers we last told other servers about, with when. */
  private readonly sent = new Map<string, Map<string, number>>();

  constructor(
    private readonly app: App,
    private readonly typing: TypingStore,
  ) {
    eduServices(app).notifier.onChange((c) => {
      if (c.stream === "typing" && c.roomId !== undefined) this.roomChanged(c.roomId);
    });
  }

  /** A repeated "still typing" that changed nothing locally. */
  stillTyping(roomId: string, userId: string): void {
    const room = this.sent.get(roomId);
    const last = room?.get(userId);
    if (room === undefined || last === undefined || Date.now() - last < REPEAT_EDU_MS) return;
    room.set(userId, Date.now());
    this.send(roomId, userId, true);
  }

  private roomChanged(roomId: string): void {
    const now = new Set(this.typing.usersIn(roomId).filter((u) => domainOf(u) === this.app.serverName));
    const before = this.sent.get(roomId) ?? new Map<string, number>();
    for (const userId of now) {
      if (before.has(userId)) continue;
      before.set(userId, Date.now());
      this.send(roomId, userId, true);
    }
    for (const userId of [...before.keys()]) {
      if (now.has(userId)) continue;
      before.delete(userId);
      this.send(roomId, userId, false);
    }
    if (before.size === 0) this.sent.delete(roomId);
    else this.sent.set(roomId, before);
  }

  private send(roomId: string, userId: string, typing: boolean): void {
    void queueEduSafely(this.app, roomDestinations(this.app, roomId), "m.typing", { room_id: roomId, user_id: userId, typing });
  }
}

export function typingHandler(app: App): Handler {
  const typing = eduServices(app).typing;
  const federation = new TypingFederation(app, typing);
  return (req) => {
    const auth = requireClient(req);
    const { roomId, userId } = req.params as { roomId: string; userId: string };
    requireSelf(auth, userId);
    const body = req.body as Record<string, unknown>;
    if (typeof body.typing !== "boolean") throw Errors.badJson("typing must be a boolean");
    const timeout = body.timeout ?? DEFAULT_TIMEOUT_MS;
    if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 0) throw Errors.badJson("timeout must be a non-negative integer");
    const room = app.storage.rooms.getRoom(roomId);
    if (room === undefined || app.storage.rooms.membership(room.roomNid, userId)?.membership !== "join") {
      throw Errors.forbidden("You are not in this room");
    }
    const changed = typing.set(roomId, userId, body.typing, Math.min(timeout, MAX_TIMEOUT_MS));
    if (!changed && body.typing) federation.stillTyping(roomId, userId);
    return json({});
  };
}
