/** One byte range of a download, inclusive at both ends. */
export type ByteRange = { start: number; end: number };

export type RangeAnswer = { kind: 'whole' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

/**
 * `Range: bytes=a-b | a- | -n` against a file of `size` bytes; only the first range of a list is honoured
 * (as upstream). No header → the whole file. A malformed header, another unit, a start beyond the end or a
 * zero suffix are unsatisfiable (416): the SDK only ever sends a single well-formed range.
 */
export function rangeOf(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined || header.trim() === '') return { kind: 'whole' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*(?:,.*)?$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'unsatisfiable' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || Number(m[2] === '' ? start : m[2]) < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}
