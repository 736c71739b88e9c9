import type { Prng } from './prng.js';
import { hostileJson, hostileString, HOSTILE_NUMBERS, HOSTILE_STRINGS, rawBody, withProtoKey } from './values.js';

/** A route as the app registers it (Hono syntax: `/v1/sandboxes/:sandboxId/proxy/:port{[0-9]+}`). */
export type Route = { method: string; path: string };

export type FuzzRequest = {
  /** the route template it was made from, for the coverage count */
  route: string;
  method: string;
  /** path and query, already encoded as sent */
  target: string;
  headers: Record<string, string>;
  body?: string;
};

/** Ids the run knows to exist; requests use them some of the time so handlers get past their lookups. */
export type Known = {
  apiKey: string;
  /** a Running sandbox execd and proxy requests aim at; lifecycle verbs that end or stop it never do */
  pinned: string;
  /** sandboxes the run may pause, resume, snapshot and delete */
  victims: string[];
  snapshots: string[];
  webhooks: string[];
  commands: string[];
  sessions: string[];
  /** the port a tiny HTTP server listens on inside the pinned sandbox (for the server proxy) */
  proxyPort: number;
  /** the one host path prefix the server allows: it holds a directory `dir` and a regular file `file` */
  hostRoot: string;
};

export const IMAGE = 'berth-base:latest';

/** A path segment: percent-encoded; a lone surrogate (which encodeURIComponent refuses) as the bytes of one. */
function segment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

const QUERY_NAMES = [
  'state',
  'metadata',
  'page',
  'pageSize',
  'after',
  'limit',
  'beforeSeq',
  'sandboxId',
  'name',
  'types',
  'path',
  'cursor',
  'depth',
  'pattern',
  'id',
  'use_server_proxy',
  'expires',
  'api_key',
  'since',
  'takeover',
  'stream',
  'offset',
  '__proto__',
];

function query(r: Prng, known: Known): string {
  const parts: string[] = [];
  for (let i = r.int(4); i > 0; i--) {
    const name = r.pick(QUERY_NAMES);
    const value =
      name === 'api_key' && r.chance(0.5)
        ? known.apiKey
        : name === 'metadata' && r.chance(0.5)
          ? segment(`${hostileString(r)}=${hostileString(r)}`)
          : r.chance(0.3)
            ? String(r.pick(HOSTILE_NUMBERS))
            : segment(hostileString(r));
    parts.push(`${name}=${value}`);
  }
  if (r.chance(0.05)) parts.push('=', '&&', 'a', '%');
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Replace, drop or add something at a random place in a JSON value (a copy). */
export function mutate(r: Prng, value: unknown, depth = 0): unknown {
  const container = value !== null && typeof value === 'object';
  if (!container || depth > 4 || r.chance(0.25)) {
    switch (r.int(5)) {
      case 0:
        return hostileString(r);
      case 1:
        return r.pick(HOSTILE_NUMBERS);
      case 2:
        return [value];
      case 3:
        return null;
      default:
        return hostileJson(r);
    }
  }
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length === 0 || r.chance(0.2)) copy.push(hostileJson(r));
    else copy[r.int(copy.length)] = mutate(r, copy[r.int(copy.length)], depth + 1);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const roll = r.int(10);
  if (roll === 0 && keys.length > 0) delete copy[r.pick(keys)];
  else if (roll === 1) copy[hostileString(r)] = hostileJson(r);
  else if (keys.length > 0) {
    const k = r.pick(keys);
    copy[k] = mutate(r, copy[k], depth + 1);
  }
  return copy;
}

function createBody(r: Prng, known: Known): unknown {
  const body: Record<string, unknown> = {
    image: { uri: IMAGE },
    entrypoint: ['tail', '-f', '/dev/null'],
    resourceLimits: { cpu: '250m', memory: '64Mi' },
    timeout: 600,
    metadata: { fuzz: 'yes' },
  };
  if (r.chance(0.3)) body.env = { A: 'b' };
  if (r.chance(0.2)) body.extensions = { 'access.renew.extend.seconds': '600' };
  if (r.chance(0.25)) body.volumes = [volume(r, known)];
  return body;
}

/** Where a volume may not go (the root, the kernel's file systems), as a client might still ask. */
const KERNEL_MOUNT_PATHS = ['/', '/proc', '/sys', '/dev', '/dev/shm', '/sys/fs/cgroup', '/tmp/../proc'];
/** paths the image itself holds: files a directory cannot go onto, a path below a file, directories, a link */
const IMAGE_TREE_MOUNT_PATHS = ['/etc/passwd', '/bin/busybox', '/bin/busybox/x', '/etc', '/tmp', '/etc/mtab', '/etc/hosts'];

/**
 * One volume. A host volume names a path inside the one allowed prefix (a directory, a new directory, a
 * regular file, or a path below that file, which no directory can be made under), a path outside it, or
 * anything; a pvc names a fuzz-only Docker volume; an ossfs volume always carries a defect (a colon in
 * its secret), so no FUSE mount is attempted against an endpoint that does not exist (that is a
 * dependency failure, not input).
 */
function volume(r: Prng, known: Known): Record<string, unknown> {
  const name = r.chance(0.8) ? 'data' : hostileString(r);
  const mountPath = r.chance(0.6) ? '/data' : r.chance(0.35) ? r.pick(IMAGE_TREE_MOUNT_PATHS) : r.chance(0.4) ? r.pick(KERNEL_MOUNT_PATHS) : hostileString(r);
  const hostPaths = ['dir', `dir/new-${r.int(1000)}`, 'file', 'file/x', 'file/x/y'].map((p) => `${known.hostRoot}/${p}`);
  switch (r.int(3)) {
    case 0:
      return {
        name,
        mountPath,
        ...(r.chance(0.2) && { subPath: r.pick(['file/x', 'dir', '../..', hostileString(r)]) }),
        host: { path: r.chance(0.6) ? r.pick(hostPaths) : r.chance(0.5) ? '/tmp/x' : hostileString(r) },
      };
    case 1:
      return {
        name,
        mountPath,
        pvc: { claimName: r.chance(0.6) ? `fuzz-${r.int(1000)}` : hostileString(r), createIfNotExists: r.chance(0.7), deleteOnSandboxTermination: true },
      };
    default:
      return {
        name,
        mountPath,
        ossfs: { bucket: 'fuzz-bucket', endpoint: r.chance(0.5) ? '127.0.0.1:1' : hostileString(r), accessKeyId: 'AK', accessKeySecret: 'S:K' },
      };
  }
}

const FILE_PATHS = ['/tmp', '/tmp/up.txt', '/tmp/fuzz', '/etc/passwd', '/', '/proc/self/status', '/dev/null', '/bin/busybox', '/nope/nothing'];

const ISO_DATES = [
  new Date(Date.now() + 3_600_000).toISOString(),
  '2030-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2030-13-45T99:99:99Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  'tomorrow',
  '',
  '2030-01-01',
];

/** A body near what the route accepts, then mutated; routes not listed get any JSON. */
function routeBody(r: Prng, method: string, path: string, known: Known): unknown {
  const p = path.replace(/^\/v1/, '');
  if (method === 'POST' && p === '/sandboxes') {
    if (r.chance(0.05) && known.snapshots.length > 0) return { snapshotId: r.pick(known.snapshots), resourceLimits: {} };
    return createBody(r, known);
  }
  if (p.endsWith('/metadata')) return { fuzz: r.chance(0.5) ? null : 'v', [hostileString(r)]: r.chance(0.5) ? hostileString(r) : null };
  if (p.endsWith('/renew-expiration')) return { expiresAt: r.pick(ISO_DATES) };
  if (p.endsWith('/snapshots')) return { name: r.chance(0.5) ? 'snap' : hostileString(r) };
  if (p.startsWith('/v1/webhooks') || p.startsWith('/webhooks')) {
    const hosts = ['203.0.114.1', '[2002:808:808::1]', '127.0.0.1', '[::ffff:0:7f00:1]', '169.254.169.254', 'hooks.fuzz.invalid', '0x7f.1', '[64:ff9b::a00:1]'];
    return {
      url: `${r.pick(['http', 'https', 'ftp', 'javascript'])}://${r.pick(hosts)}/hook`,
      description: 'fuzz',
      eventTypes: ['sandbox.created'],
      enabled: true,
    };
  }
  if (p.endsWith('/command')) {
    const body: Record<string, unknown> = {
      command: r.chance(0.5) ? 'echo fuzz' : hostileString(r),
      background: r.chance(0.3),
      timeout: r.pick([1000, 5000, ...HOSTILE_NUMBERS]),
    };
    if (r.chance(0.3)) body.cwd = r.pick(['/tmp', '/', '/nope', hostileString(r)]);
    if (r.chance(0.3)) body.envs = { A: hostileString(r), [hostileString(r)]: 'v' };
    if (r.chance(0.2)) body.uid = r.pick([0, 1000, ...HOSTILE_NUMBERS]);
    if (r.chance(0.1)) body.gid = r.pick([0, 1000, ...HOSTILE_NUMBERS]);
    return body;
  }
  if (p.endsWith('/session')) return { cwd: r.chance(0.5) ? '/tmp' : hostileString(r) };
  if (p.endsWith('/run')) return { command: r.chance(0.5) ? 'pwd' : hostileString(r) };
  if (p.endsWith('/directories') || p.endsWith('/files/permissions'))
    return { [r.chance(0.5) ? '/tmp/fuzz' : hostileString(r)]: { mode: r.pick([755, 644, 0, 999, -1, 8.5]) } };
  if (p.endsWith('/files/mv')) return [{ src: r.chance(0.5) ? '/tmp/a' : hostileString(r), dest: r.chance(0.5) ? '/tmp/b' : hostileString(r) }];
  if (p.endsWith('/files/replace')) return { [r.chance(0.5) ? '/tmp/a' : hostileString(r)]: { old: hostileString(r), new: hostileString(r) } };
  if (p.endsWith('/pty')) return { cwd: '/tmp', cols: r.pick(HOSTILE_NUMBERS), rows: r.pick(HOSTILE_NUMBERS) };
  return hostileJson(r);
}

/** A multipart upload whose metadata part and file part are hostile in turn. */
function multipart(r: Prng): { body: string; type: string } {
  const boundary = r.chance(0.9) ? 'fuzzBOUNDARY' : hostileString(r).replace(/[^ -~]/g, '');
  const meta = r.chance(0.5) ? JSON.stringify({ path: r.chance(0.5) ? '/tmp/up.txt' : hostileString(r), mode: r.pick([644, 0, 999, -1]) }) : rawBody(r);
  const parts = [
    `--${boundary}\r\nContent-Disposition: form-data; name="metadata"; filename="metadata"\r\n\r\n${meta}\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${r.chance(0.5) ? 'a.txt' : hostileString(r)}"\r\n\r\nhello\r\n`,
  ];
  const body = `${r.chance(0.2) ? parts.reverse().join('') : parts.join('')}${r.chance(0.9) ? `--${boundary}--\r\n` : ''}`;
  return { body, type: r.chance(0.9) ? `multipart/form-data; boundary=${boundary}` : r.pick(['multipart/form-data', 'application/json']) };
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'application/json; charset=utf-16le',
  'application/merge-patch+json',
  'APPLICATION/JSON',
  'application/json, text/plain',
  'image/png',
];

/** Header values must be printable latin1 for node:http to send them. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, '?');

function fillParams(r: Prng, route: Route, known: Known): string {
  const lifecycleVerb = /\/(pause|resume|snapshots)$/.test(route.path) || (route.method === 'DELETE' && /\/sandboxes\/:sandboxId$/.test(route.path));
  const proxyTail = route.path.includes('/proxy/');
  const snapshotCreate = route.method === 'POST' && route.path.endsWith('/snapshots');
  let sandboxId = '';
  return route.path.replace(/:(\w+)(\{[^}]*\})?/g, (_all, name: string, pattern: string | undefined) => {
    const hostile = () => segment(hostileString(r));
    switch (name) {
      case 'sandboxId': {
        const roll = r.next();
        if (roll < 0.2) sandboxId = hostile();
        // a snapshot of a real sandbox is a docker commit, and its image a slow removal later: a few will do
        else if (snapshotCreate && roll < 0.9) sandboxId = 'sbx-fuzz-unknown';
        else if (lifecycleVerb || !proxyTail)
          sandboxId = roll < 0.6 && known.victims.length > 0 ? r.pick(known.victims) : roll < 0.8 ? known.pinned : 'sbx-fuzz-unknown';
        else sandboxId = roll < 0.85 ? known.pinned : 'sbx-fuzz-unknown';
        return sandboxId;
      }
      case 'port':
        // the server proxy to a live sandbox's closed port is a 502 by design (the sandbox's service, not
        // berth, is missing): live sandboxes are reached on the port that listens
        if (pattern) return sandboxId === known.pinned || r.chance(0.5) ? String(known.proxyPort) : String(r.pick([0, 1, 22, 65535, 65536, 99999999999]));
        return r.pick(['8080', '44772', String(known.proxyPort), '0', '65536', '-1', 'abc', '1e3', '0x50', ' 80', '9'.repeat(30)]).replace(' ', '%20');
      case 'snapshotId':
        return r.chance(0.4) && known.snapshots.length > 0 ? r.pick(known.snapshots) : hostile();
      case 'id':
        if (route.path.includes('/webhooks')) return r.chance(0.5) && known.webhooks.length > 0 ? r.pick(known.webhooks) : hostile();
        if (route.path.includes('/session')) return r.chance(0.5) && known.sessions.length > 0 ? r.pick(known.sessions) : hostile();
        return r.chance(0.5) && known.commands.length > 0 ? r.pick(known.commands) : hostile();
      default:
        return hostile();
    }
  });
}

/**
 * One hostile request for a route: its path parameters, query, body, content type and API key each
 * chosen from the hostile lists (or, some of the time, from known-good values so deeper code runs).
 */
export function makeRequest(r: Prng, route: Route, known: Known): FuzzRequest {
  const method = route.method === 'ALL' ? r.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']) : route.method;
  let target = fillParams(r, route, known);
  if (target.includes('*')) target = target.replace(/\*$/, segment(hostileString(r)));
  else if (route.path.endsWith('}') && r.chance(0.5)) target += `/${r.pick(['', 'a', '..', '%2e%2e', 'a/b?c'])}`;
  target += query(r, known);
  // the file routes take their path from the query: often a real one, so the archive calls run
  if (/\/(files|directories)/.test(route.path) && r.chance(0.6)) {
    const path = r.chance(0.7) ? r.pick(FILE_PATHS) : hostileString(r);
    const pattern = r.chance(0.3) ? `&pattern=${segment(r.pick(['*', '**', '[', '*.txt', hostileString(r)]))}` : '';
    target += `${target.includes('?') ? '&' : '?'}path=${segment(path)}${pattern}`;
  }
  if (/\/logs$/.test(route.path) && r.chance(0.5))
    target += `${target.includes('?') ? '&' : '?'}cursor=${r.pick(['0', '1', '-1', '1e3', '99999999999999999999'])}`;
  if (r.chance(0.03)) target = target.replace(/\//g, () => (r.chance(0.2) ? '//' : '/'));

  const headers: Record<string, string> = {};
  const keyRoll = r.next();
  if (keyRoll < 0.85) headers['OPEN-SANDBOX-API-KEY'] = known.apiKey;
  else if (keyRoll < 0.9) headers['OPEN-SANDBOX-API-KEY'] = headerSafe(hostileString(r));
  else if (keyRoll < 0.93) headers['OPEN-SANDBOX-API-KEY'] = `${known.apiKey}x`;
  else if (keyRoll < 0.95) headers['open-sandbox-api-key'] = 'a'.repeat(8000);
  if (r.chance(0.05)) headers['X-Request-ID'] = headerSafe(hostileString(r)).slice(0, 200);
  if (r.chance(0.03)) headers.Range = r.pick(['bytes=0-1', 'bytes=-1', 'bytes=9999999999999999999-', 'bytes=5-1', 'lines=1-2', 'bytes=0-0,1-1,2-2']);
  if (r.chance(0.02)) headers['Last-Event-ID'] = headerSafe(hostileString(r));

  let body: string | undefined;
  const sendsBody = method !== 'GET' && method !== 'HEAD' ? r.chance(0.9) : r.chance(0.05);
  if (sendsBody) {
    if (route.path.endsWith('/files/upload') && r.chance(0.8)) {
      const m = multipart(r);
      body = m.body;
      headers['Content-Type'] = m.type;
    } else {
      const roll = r.next();
      if (roll < 0.12) body = rawBody(r);
      else if (roll < 0.18) body = withProtoKey({ ...(routeBody(r, method, route.path, known) as object) }, hostileJson(r));
      else {
        let value = routeBody(r, method, route.path, known);
        if (r.chance(0.7)) value = mutate(r, value);
        if (r.chance(0.3)) value = mutate(r, value);
        body = JSON.stringify(value) ?? 'null';
      }
      headers['Content-Type'] = r.chance(0.85) ? 'application/json' : r.pick(CONTENT_TYPES);
    }
  }
  return { route: `${route.method} ${route.path}`, method, target, headers, body };
}

/** Bytes no HTTP client would send: answered by Node's parser (the clientError handler), never by a route. */
export function malformedBytes(r: Prng, apiKey: string): string {
  switch (r.int(6)) {
    case 0:
      return `GET /v1/sandboxes HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17_000 + r.int(20_000))}\r\n\r\n`;
    case 1:
      return `${hostileString(r).replace(/\r|\n/g, '')} / HTTP/1.1\r\nHost: x\r\n\r\n`;
    case 2:
      return `GET /v1/sandboxes HTTP/1.1\r\nHost: x\r\nOPEN-SANDBOX-API-KEY: ${apiKey}\r\nBad Header: y\r\n\r\n`;
    case 3:
      return `POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}`;
    case 4:
      return `GET /v1/${HOSTILE_STRINGS[r.int(HOSTILE_STRINGS.length)]!.replace(/[\r\n]/g, '')}\u0000 HTTP/1.1\r\nHost: x\r\n\r\n`;
    default:
      return Buffer.from(Array.from({ length: 64 }, () => r.int(256))).toString('latin1') + '\r\n\r\n';
  }
}
