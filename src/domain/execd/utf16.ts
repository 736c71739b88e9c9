/**
 * Where a piece of at most `max` UTF-16 units starting at `at` ends without cutting a surrogate pair in two
 * (a lone half would reach the client or the shell as U+FFFD). A piece always takes at least one unit.
 */
export function pieceEnd(text: string, at: number, max: number): number {
  const end = at + max;
  if (end >= text.length) return text.length;
  const last = text.charCodeAt(end - 1);
  return last >= 0xd800 && last <= 0xdbff && end - 1 > at ? end - 1 : end;
}
