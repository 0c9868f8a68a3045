/**
 * Ordering of event IDs. The spec's tie-breaks ("x's event_id is less than y's event_id",
 * rooms/fragments/v2-state-res.md) compare strings; other servers compare by Unicode code
 * point (Python `str`) or UTF-8 bytes (Rust), which agree with each other but not with
 * JavaScript's UTF-16 `<` once a string mixes astral characters with U+E000–U+FFFF. v1/v2
 * event IDs are server-chosen opaque strings, so the difference is reachable.
 */

/** Negative, zero or positive as `a` sorts before, with or after `b` in code-point order. */
export function compareEventIds(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = codePointRank(x);
        y = codePointRank(y);
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Surrogates (astral code points) move above U+E000–U+FFFF, as in code-point order. */
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
