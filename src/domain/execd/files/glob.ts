/**
 * A doublestar glob (upstream matches with bmatcuk/doublestar): `*` and `?` within one path segment, `**`
 * across segments, `[abc]`, `[a-z]`, `[!x]`/`[^x]`, `{a,b}` alternatives and `\` escapes. Compiled to one
 * anchored RegExp; a malformed pattern (an unclosed `[` or `{`) matches nothing rather than throwing.
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  let source: string | null;
  try {
    source = translate(pattern, 0, false).source;
  } catch {
    source = null;
  }
  if (source === null) return () => false;
  const re = new RegExp(`^${source}$`, 'su');
  return (name) => re.test(name);
}

class Malformed extends Error {}

const SPECIAL = /[.*+?^${}()|[\]\\]/g;
const escapeRe = (s: string) => s.replace(SPECIAL, '\\$&');

/** Translate from index `i` until the end (or, inside `{...}`, until the closing brace or a comma). */
function translate(p: string, i: number, inBraces: boolean): { source: string; next: number } {
  let out = '';
  while (i < p.length) {
    const ch = p[i]!;
    if (inBraces && (ch === ',' || ch === '}')) return { source: out, next: i };
    if (ch === '\\') {
      if (i + 1 >= p.length) throw new Malformed();
      out += escapeRe(p[i + 1]!);
      i += 2;
    } else if (ch === '*' && p[i + 1] === '*') {
      const atStart = i === 0 || p[i - 1] === '/';
      const end = i + 2;
      if (atStart && p[end] === '/') {
        out += '(?:.*/)?'; // `**/` matches zero or more whole segments
        i = end + 1;
      } else if (atStart && end === p.length && i > 0) {
        out = out.replace(/\/$/, '') + '(?:/.*)?'; // trailing `/**`: the directory itself and everything below
        i = end;
      } else {
        out += '.*';
        i = end;
      }
    } else if (ch === '*') {
      out += '[^/]*';
      i++;
    } else if (ch === '?') {
      out += '[^/]';
      i++;
    } else if (ch === '[') {
      const r = charClass(p, i);
      out += r.source;
      i = r.next;
    } else if (ch === '{') {
      const alts: string[] = [];
      i++;
      for (;;) {
        const r = translate(p, i, true);
        alts.push(r.source);
        if (r.next >= p.length) throw new Malformed();
        i = r.next + 1;
        if (p[r.next] === '}') break;
      }
      out += `(?:${alts.join('|')})`;
    } else {
      out += escapeRe(ch);
      i++;
    }
  }
  if (inBraces) throw new Malformed();
  return { source: out, next: i };
}

function charClass(p: string, start: number): { source: string; next: number } {
  let i = start + 1;
  let negate = false;
  if (p[i] === '!' || p[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  while (i < p.length && (p[i] !== ']' || first)) {
    let ch = p[i]!;
    if (ch === '\\' && i + 1 < p.length) ch = p[++i]!;
    body += ch === '-' && !first && p[i + 1] !== ']' ? '-' : ch.replace(/[\\\]^-]/g, '\\$&');
    first = false;
    i++;
  }
  if (i >= p.length || body === '') throw new Malformed();
  return { source: negate ? `[^/${body}]` : `[${body}]`, next: i + 1 };
}
