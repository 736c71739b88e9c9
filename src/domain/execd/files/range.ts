/** One byte range of a download, inclusive at both ends. */
export type ByteRange = { start: number; end: number };

export type RangeAnswer = { kind: 'whole' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

/**
 * `Range: bytes=a-b | a- | -n[, ...]` against a file of `size` bytes, as upstream's ParseRange reads it: one
 * range is served, the first of the list that starts inside the file (a list is not a multipart answer);
 * every range of the list must be well formed. No header → the whole file. A malformed range anywhere,
 * another unit, or no range starting inside the file (a start at or beyond the end, a zero suffix, an empty
 * file) are unsatisfiable (416). The SDK only ever sends a single well-formed range.
 */
export function rangeOf(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined || header.trim() === '') return { kind: 'whole' };
  const m = /^\s*bytes\s*=(.*)$/is.exec(header);
  if (!m) return { kind: 'unsatisfiable' };
  let first: ByteRange | undefined;
  for (const raw of m[1]!.split(',')) {
    const spec = raw.trim();
    if (spec === '') continue;
    const r = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return { kind: 'unsatisfiable' };
    const range = r[1] === '' ? suffix(Number(r[2]), size) : { start: Number(r[1]), end: r[2] === '' ? size - 1 : Number(r[2]) };
    if (range.end < range.start && r[1] !== '' && r[2] !== '') return { kind: 'unsatisfiable' }; // reversed: malformed
    if (!first && range.start < size) first = { start: range.start, end: Math.min(range.end, size - 1) };
  }
  return first ? { kind: 'partial', range: first } : { kind: 'unsatisfiable' };
}

/** The last `n` bytes (all of them when the file is shorter); `-0` starts at the end, so it is never served. */
const suffix = (n: number, size: number): ByteRange => ({ start: size - Math.min(n, size), end: size - 1 });
