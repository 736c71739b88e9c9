/**
 * The `?state=` filter of the list routes: names match case-insensitively, as upstream's do, and come back
 * spelled as stored; a name that matches nothing is dropped (the caller then matches no row).
 */
export function matchStates<T extends string>(wanted: readonly string[], known: readonly T[]): T[] {
  const lower = new Set(wanted.map((s) => s.toLowerCase()));
  return known.filter((s) => lower.has(s.toLowerCase()));
}
