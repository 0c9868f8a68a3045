/**
 * Order a batch of one room's events so that every event comes after the events of the batch
 * it references (prev_events, and auth_events too: an auth event must be stored before the
 * events it authorises are checked). Ties keep the lower depth, then the arrival order, first.
 *
 * Depth-first, iterative (a long chain in a batch must not overflow the stack). A reference
 * cycle can only come from forged input (event IDs are hashes from v3); it is broken at the
 * point the walk meets it, and the events involved fail their checks later on their own.
 */
import type { RoomEvent } from "../../events/types.js";

export function sortEventsTopologically<T extends { readonly event: RoomEvent }>(items: readonly T[]): T[] {
  const byId = new Map<string, number>();
  items.forEach((it, i) => {
    if (!byId.has(it.event.eventId)) byId.set(it.event.eventId, i);
  });
  const order = items.map((_, i) => i).sort((a, b) => items[a]!.event.depth - items[b]!.event.depth || a - b);
  const state = new Uint8Array(items.length); // 0 new, 1 on the stack, 2 done
  const out: T[] = [];

  for (const start of order) {
    if (state[start] !== 0) continue;
    const stack: [index: number, refs: string[], next: number][] = [[start, references(items[start]!.event), 0]];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top[2] < top[1].length) {
        const ref = byId.get(top[1][top[2]++]!);
        if (ref !== undefined && state[ref] === 0) {
          state[ref] = 1;
          stack.push([ref, references(items[ref]!.event), 0]);
        }
        continue;
      }
      stack.pop();
      state[top[0]] = 2;
      out.push(items[top[0]]!);
    }
  }
  return out;
}

/** Auth events first (they sort lower in every sane DAG), then prev events, lowest depth first. */
function references(ev: RoomEvent): string[] {
  return [...ev.authEvents, ...ev.prevEvents];
}
