/**
 * Remove secrets from text that may reach a client, a log line or an event (a mount tool's stderr).
 * Longest first, so a secret that contains another is removed whole; also any `secret=value` style pair a
 * tool might echo back from its config file.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter((x) => x.length > 0).sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  return out.replace(/((?:access_?key_?secret|secret_?key|passwd|password)\s*[=:]\s*)[^\s,;'"]+/gi, '$1***');
}

/** Bounded, single-spaced stderr for an error message. */
export function clip(text: string, max = 2000): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}...` : t;
}
