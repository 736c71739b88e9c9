/**
 * zod issues -> one readable sentence that names each field, e.g.
 * "timeout: must be >= 60; volumes[0].name: expected string, got number".
 * Structural types only, so this module does not care which zod build produced the issue.
 */
export type Issue = {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
};
type AnyIssue = Issue & { readonly [k: string]: unknown };

const MAX_ISSUES = 3;
const IDENT = /^[A-Za-z_$][\w$]*$/;

export function describeIssues(issues: readonly Issue[], target: string): string {
  const flat = issues.flatMap((i) => flatten(i, []));
  const parts = flat.slice(0, MAX_ISSUES).map((i) => `${fieldName(i.path, target)}: ${issueText(i)}`);
  if (flat.length > MAX_ISSUES) parts.push(`and ${flat.length - MAX_ISSUES} more`);
  return parts.join('; ') || 'Invalid request.';
}

/** `a.b[0]["x.y/z"]`; the whole body is "body". */
export function fieldName(path: readonly PropertyKey[], target = 'json'): string {
  if (path.length === 0) return target === 'json' ? 'body' : target;
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && IDENT.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/**
 * A union such as "PlatformSpec | null" fails as one opaque invalid_union; report the branch that was
 * meant (the one not complaining about null) with its own field paths.
 */
function flatten(issue: AnyIssue, prefix: readonly PropertyKey[]): AnyIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && Array.isArray(issue.errors)) {
    const branches = (issue.errors as AnyIssue[][]).filter((b) => !b.every((i) => i.code === 'invalid_type' && i.expected === 'null'));
    if (branches.length === 1) return branches[0]!.flatMap((i) => flatten(i, path));
  }
  return [{ ...issue, path }];
}

function issueText(i: AnyIssue): string {
  const n = (k: string) => i[k] as number | bigint;
  const incl = i.inclusive !== false;
  switch (i.code) {
    case 'invalid_type': {
      const received = /received (\w+)/.exec(i.message)?.[1];
      if (received === 'undefined') return 'is required';
      if (i.expected === 'int' && received === 'number') return 'must be an integer';
      const expected = i.expected === 'int' ? 'integer' : String(i.expected);
      return received ? `expected ${expected}, got ${received}` : `expected ${expected}`;
    }
    case 'too_small':
      if (i.origin === 'array' || i.origin === 'set') return `must have at least ${n('minimum')} item(s)`;
      if (i.origin === 'string') return `must be at least ${n('minimum')} character(s)`;
      return `must be ${incl ? '>=' : '>'} ${n('minimum')}`;
    case 'too_big':
      if (i.origin === 'array' || i.origin === 'set') return `must have at most ${n('maximum')} item(s)`;
      if (i.origin === 'string') return `must be at most ${n('maximum')} character(s)`;
      return `must be ${incl ? '<=' : '<'} ${n('maximum')}`;
    case 'invalid_format':
      if (!/^Invalid/.test(i.message)) return i.message; // a message the schema wrote itself
      if (i.format === 'datetime') return 'must be an RFC 3339 date-time, e.g. 2030-01-01T00:00:00Z';
      if (i.format === 'regex') return `must match ${String(i.pattern)}`;
      return `must be a valid ${String(i.format)}`;
    case 'invalid_value':
      return `must be one of ${(i.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(i.divisor)}`;
    case 'invalid_key':
      return 'has an invalid key';
    default:
      return i.message;
  }
}
