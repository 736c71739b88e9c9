/**
 * Header rules of the server proxy, for requests and responses, HTTP and WebSocket alike (RFC 9110 §7.6.1).
 * Headers arrive as [name, value] pairs (node's rawHeaders or a fetch Headers), names in any case.
 */
export type HeaderPairs = Array<[string, string]>;

/** Hop-by-hop: they describe one connection, never the next one. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

/**
 * The client's credentials for berth (and whatever cookies the browser holds for berth's origin) must not
 * reach code running inside a sandbox: anyone who can create a sandbox could otherwise harvest them.
 */
const CLIENT_SECRETS = new Set(['authorization', 'cookie', 'open-sandbox-api-key']);

export type Forwarded = { for: string | undefined; proto: string; host: string | undefined };

/** Names listed in `Connection:` are hop-by-hop for this message too. */
function connectionListed(pairs: HeaderPairs): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of pairs) if (k.toLowerCase() === 'connection') for (const t of v.split(',')) out.add(t.trim().toLowerCase());
  return out;
}

function dropHopByHop(pairs: HeaderPairs, also: Set<string>): HeaderPairs {
  const listed = connectionListed(pairs);
  return pairs.filter(([k]) => {
    const n = k.toLowerCase();
    return !HOP_BY_HOP.has(n) && !n.startsWith('proxy-') && !listed.has(n) && !also.has(n);
  });
}

/**
 * What the sandbox is sent: no hop-by-hop headers, no client secrets, `Host` of the target and the
 * X-Forwarded-* trio (`-for` appended to what the client sent, as proxies chain it). For a WebSocket
 * upgrade, `upgrade` names the protocol and the Connection/Upgrade pair is put back on purpose.
 */
export function requestHeaders(pairs: HeaderPairs, targetHost: string, fwd: Forwarded, upgrade?: string): HeaderPairs {
  const kept = dropHopByHop(pairs, CLIENT_SECRETS).filter(([k]) => !/^x-forwarded-(proto|host)$/i.test(k));
  const priorFor = kept.filter(([k]) => k.toLowerCase() === 'x-forwarded-for').map(([, v]) => v);
  const out: HeaderPairs = [['host', targetHost], ...kept.filter(([k]) => k.toLowerCase() !== 'x-forwarded-for')];
  const chain = [...priorFor, ...(fwd.for ? [fwd.for] : [])].join(', ');
  if (chain) out.push(['x-forwarded-for', chain]);
  out.push(['x-forwarded-proto', fwd.proto]);
  if (fwd.host) out.push(['x-forwarded-host', fwd.host]);
  if (upgrade) out.push(['connection', 'upgrade'], ['upgrade', upgrade]);
  return out;
}

/** What the client is sent back: the sandbox's headers minus hop-by-hop ones (Set-Cookie is the sandbox's own, kept). */
export function responseHeaders(pairs: HeaderPairs): HeaderPairs {
  return dropHopByHop(pairs, new Set());
}

/** node's flat rawHeaders ([k1, v1, k2, v2, ...]) as pairs, duplicates kept. */
export function pairsOfRaw(raw: string[]): HeaderPairs {
  const out: HeaderPairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** `host:port`, bracketing an IPv6 literal. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
