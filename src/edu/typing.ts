/**
 * Typing notifications (server-server-api.md "Typing Notifications"; client-server m.typing):
 * in memory only, per room, each typing user with an expiry. The federation EDU carries no
 * timeout, so a remote user stops counting as typing `timeoutMs` after the last EDU that said
 * they were (the sender repeats the EDU while the user keeps typing).
 *
 * Stream: every change to a room's set of typing users bumps the position and records it on
 * the room; `since(pos)` lists the rooms whose set changed after `pos`, with the current set
 * (the m.typing ephemeral event /sync sends carries the whole set). The position starts at 0
 * on each start of the process: a /sync token naming a typing position above `position` comes
 * from before a restart and must be read as 0.
 */
import type { EduNotifier } from "./notifier.js";

/** How long a remote "typing: true" lasts without a repeat. */
export const DEFAULT_TYPING_TIMEOUT_MS = 30_000;

interface RoomTyping {
  /** userId → expiry (ms since epoch) */
  readonly users: Map<string, number>;
  pos: number;
}

export interface TypingChange {
  readonly roomId: string;
  /** Everyone typing in the room now. */
  readonly userIds: string[];
  readonly pos: number;
}

export class TypingStore {
  private readonly rooms = new Map<string, RoomTyping>();
  private pos = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly notifier: EduNotifier,
    private readonly now: () => number = Date.now,
  ) {}

  get position(): number {
    return this.pos;
  }

  /** Set or clear one user's typing flag; returns whether the room's set changed. */
  set(roomId: string, userId: string, typing: boolean, timeoutMs = DEFAULT_TYPING_TIMEOUT_MS): boolean {
    let room = this.rooms.get(roomId);
    if (typing) {
      if (!room) this.rooms.set(roomId, (room = { users: new Map(), pos: 0 }));
      const expiresAt = this.now() + Math.max(0, timeoutMs);
      const wasTyping = room.users.has(userId);
      room.users.set(userId, expiresAt);
      this.arm(expiresAt);
      if (wasTyping) return false;
    } else {
      if (!room || !room.users.delete(userId)) return false;
    }
    this.bump(roomId, room);
    return true;
  }

  /** Users typing in `roomId` now. */
  usersIn(roomId: string): string[] {
    this.expire();
    return [...(this.rooms.get(roomId)?.users.keys() ?? [])];
  }

  /** Rooms whose typing set changed after `pos`, oldest change first. */
  since(pos: number): { position: number; rooms: TypingChange[] } {
    this.expire();
    const out: TypingChange[] = [];
    for (const [roomId, room] of this.rooms) {
      if (room.pos > pos) out.push({ roomId, userIds: [...room.users.keys()], pos: room.pos });
    }
    out.sort((a, b) => a.pos - b.pos);
    return { position: this.pos, rooms: out };
  }

  /** Stop the expiry timer (shutdown). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private bump(roomId: string, room: RoomTyping): void {
    room.pos = ++this.pos;
    this.notifier.emit({ stream: "typing", pos: room.pos, roomId });
  }

  /** Drop expired typers, bumping each room that changed. */
  private expire(): void {
    const now = this.now();
    for (const [roomId, room] of this.rooms) {
      let changed = false;
      for (const [userId, expiresAt] of room.users) {
        if (expiresAt <= now) {
          room.users.delete(userId);
          changed = true;
        }
      }
      if (changed) this.bump(roomId, room);
    }
  }

  /** One timer for the earliest expiry, so typers stop even when nobody reads. */
  private arm(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, at - this.now()) + 1);
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.expire();
    let next = Infinity;
    for (const room of this.rooms.values()) for (const at of room.users.values()) next = Math.min(next, at);
    if (next !== Infinity) this.arm(next);
  }
}
