/**
 * Reading dockerode errors. docker-modem rejects with an Error whose `statusCode` is the HTTP status and
 * whose `json.message` is the engine's own sentence; its `message` wraps that in "(HTTP code 409) ...".
 * Clients see the engine's sentence, so these helpers extract it; callers decide the DomainError.
 */
type ModemError = { statusCode?: unknown; json?: unknown; message?: unknown };

export function dockerStatus(err: unknown): number | undefined {
  const s = (err as ModemError | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export function isDockerNotFound(err: unknown): boolean {
  return dockerStatus(err) === 404;
}

/** The engine's message without docker-modem's "(HTTP code N) reason - " prefix. */
export function dockerMessage(err: unknown): string {
  const e = err as ModemError | null;
  const json = e?.json as { message?: unknown } | string | null | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message.trim();
  if (typeof json === 'string' && json.trim()) return json.trim();
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return msg.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

/**
 * Removes every occurrence of each secret from a message. Registry errors do not echo passwords today,
 * but a proxy or a future engine might; the message goes to clients and logs verbatim (invariant 7).
 */
export function redact(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}
