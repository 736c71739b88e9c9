import { describe, expect, it } from 'vitest';
import { hostPort, requestHeaders, responseHeaders, type HeaderPairs } from '../../src/http/proxy/headers.js';
import type { SandboxRow } from '../../src/db/schema/index.js';
import { isDomainError } from '../../src/domain/errors.js';
import { publicBase } from '../../src/domain/sandbox/endpoint.js';
import type { ContainerState } from '../../src/domain/ports.js';
import { containerTargetOf, hostTargetOf } from '../../src/domain/sandbox/proxy-target.js';
import { hasTraversal, isProxyPath, parseProxyRequest } from '../../src/http/proxy/proxy-path.js';

const names = (pairs: HeaderPairs) => pairs.map(([k]) => k.toLowerCase());
const get = (pairs: HeaderPairs, name: string) => pairs.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);

describe('proxy headers', () => {
  const client: HeaderPairs = [
    ['Host', 'berth.example.com:8080'],
    ['Connection', 'keep-alive, X-Secret-Hop'],
    ['Keep-Alive', 'timeout=5'],
    ['X-Secret-Hop', 'drop me'],
    ['Proxy-Authorization', 'Basic abc'],
    ['Proxy-Connection', 'keep-alive'],
    ['TE', 'trailers'],
    ['Trailer', 'x-sum'],
    ['Transfer-Encoding', 'chunked'],
    ['Upgrade', 'h2c'],
    ['Authorization', 'Bearer user-token'],
    ['Cookie', 'session=abc'],
    ['OPEN-SANDBOX-API-KEY', 'server-key'],
    ['X-Forwarded-For', '10.0.0.1'],
    ['X-Forwarded-Proto', 'ftp'],
    ['Content-Type', 'text/plain'],
    ['Accept', 'a/b'],
    ['Accept', 'c/d'],
  ];

  it('strips hop-by-hop headers, those listed in Connection, and the client secrets; sets Host and X-Forwarded-*', () => {
    const out = requestHeaders(client, '127.0.0.1:40001', { for: '192.0.2.7', proto: 'http', host: 'berth.example.com:8080' });
    expect(names(out).sort()).toEqual(['accept', 'accept', 'content-type', 'host', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto'].sort());
    expect(get(out, 'host')).toEqual(['127.0.0.1:40001']);
    expect(get(out, 'x-forwarded-for')).toEqual(['10.0.0.1, 192.0.2.7']);
    expect(get(out, 'x-forwarded-proto')).toEqual(['http']);
    expect(get(out, 'x-forwarded-host')).toEqual(['berth.example.com:8080']);
    expect(get(out, 'accept')).toEqual(['a/b', 'c/d']);
    expect(JSON.stringify(out)).not.toMatch(/server-key|user-token|session=abc|drop me/);
  });

  it('puts back Connection: upgrade and the Upgrade protocol for a WebSocket tunnel only', () => {
    const ws: HeaderPairs = [
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
      ['Sec-WebSocket-Key', 'k=='],
      ['Cookie', 'c=1'],
    ];
    const out = requestHeaders(ws, '127.0.0.1:1', { for: undefined, proto: 'http', host: undefined }, 'websocket');
    expect(get(out, 'connection')).toEqual(['upgrade']);
    expect(get(out, 'upgrade')).toEqual(['websocket']);
    expect(get(out, 'sec-websocket-key')).toEqual(['k==']);
    expect(names(out)).not.toContain('cookie');
    expect(names(out)).not.toContain('x-forwarded-for');
  });

  it("drops hop-by-hop response headers but keeps the sandbox's own Set-Cookie", () => {
    const out = responseHeaders([
      ['Connection', 'close, X-Hop'],
      ['X-Hop', '1'],
      ['Transfer-Encoding', 'chunked'],
      ['Keep-Alive', 'timeout=5'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['Content-Type', 'text/html'],
    ]);
    expect(out).toEqual([
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['Content-Type', 'text/html'],
    ]);
  });

  it('brackets IPv6 literals in Host', () => {
    expect(hostPort('127.0.0.1', 80)).toBe('127.0.0.1:80');
    expect(hostPort('::1', 80)).toBe('[::1]:80');
  });
});

describe('proxy paths', () => {
  it("matches upstream's shape exactly, at / and /v1", () => {
    for (const p of [
      '/sandboxes/abc/proxy/8080',
      '/sandboxes/abc/proxy/8080/',
      '/v1/sandboxes/abc/proxy/1/x/y',
      '/v1/sandboxes/a\nb/proxy/44772/ping\n',
      '/sandboxes/a/proxy/1/x\r\ny',
    ])
      expect(isProxyPath(p), JSON.stringify(p)).toBe(true);
    for (const p of [
      '/sandboxes/abc/proxy/',
      '/sandboxes/abc/proxy/x',
      '/sandboxes/abc/proxy/80x',
      '/v2/sandboxes/abc/proxy/80',
      '/x/sandboxes/a/proxy/80',
      '/sandboxes/a/b/proxy/80',
      '/sandboxes//proxy/80',
      '/v1/sandboxes/abc',
    ])
      expect(isProxyPath(p), p).toBe(false);
  });

  it('splits the sandbox, the port and the rest (query kept, / when empty)', () => {
    expect(parseProxyRequest('/v1/sandboxes/sb-1/proxy/8080/a/b?x=1&y=%20')).toEqual({ sandboxId: 'sb-1', port: 8080, path: '/a/b?x=1&y=%20' });
    expect(parseProxyRequest('/sandboxes/sb-1/proxy/8080')).toEqual({ sandboxId: 'sb-1', port: 8080, path: '/' });
    expect(parseProxyRequest('/sandboxes/sb-1/proxy/8080?q')).toEqual({ sandboxId: 'sb-1', port: 8080, path: '/?q' });
    expect(parseProxyRequest('/sandboxes/sb-1/proxy/9999999')?.port).toBeNaN();
    expect(parseProxyRequest('/v1/sandboxes/sb-1')).toBeNull();
  });

  it('refuses .. in any spelling with a 400', () => {
    for (const p of [
      '/sandboxes/a/proxy/80/../../v1/sandboxes',
      '/sandboxes/a/proxy/80/x/%2e%2e/y',
      '/sandboxes/a/proxy/80/.%2E/y',
      '/sandboxes/a/proxy/80/file..txt',
    ]) {
      expect(hasTraversal(p), p).toBe(true);
      let err: unknown;
      try {
        parseProxyRequest(p);
      } catch (e) {
        err = e;
      }
      expect(isDomainError(err) && err.kind === 'invalid' && err.code === 'SANDBOX::INVALID_PARAMETER', p).toBe(true);
    }
    expect(hasTraversal('/sandboxes/a/proxy/80/a.b/c.d')).toBe(false);
  });

  it('drops the scheme and trailing slashes of BERTH_PUBLIC_URL', () => {
    expect(publicBase('https://berth.example.com/')).toBe('berth.example.com');
    expect(publicBase('http://10.0.0.5:8080/gw')).toBe('10.0.0.5:8080/gw');
    expect(publicBase('berth.example.com')).toBe('berth.example.com');
    expect(publicBase(undefined)).toBeUndefined();
  });
});

describe('proxy target', () => {
  const row = (over: Partial<SandboxRow> = {}) =>
    ({ id: 'sb', state: 'Running', hostId: 'h1', containerId: 'c1', ports: { '44772': 40000, '8080': 40001 }, ...over }) as SandboxRow;
  const cfg = { networkMode: 'bridge', publishHostIp: '127.0.0.1', hostId: 'h1' };
  const code = async (fn: () => unknown) => {
    try {
      await fn();
    } catch (e) {
      return isDomainError(e) ? `${e.kind} ${e.code}` : String(e);
    }
    return 'no error';
  };
  /** A runtime whose inspect answers `state` for c1 and counts its calls. */
  const runtime = (state: Partial<ContainerState> | null = {}) => {
    const calls: string[] = [];
    const inspect = async (id: string): Promise<ContainerState | null> => {
      calls.push(id);
      return state && id === 'c1' ? ({ containerId: id, running: true, paused: false, ipAddress: '172.17.0.5', ...state } as ContainerState) : null;
    };
    return { inspect, calls };
  };

  it('host network mode: the port itself on loopback', () => {
    expect(hostTargetOf(row({ ports: {} }), { ...cfg, networkMode: 'host', publishHostIp: '10.1.2.3' }, 3000)).toEqual({ host: '127.0.0.1', port: 3000 });
  });

  it('a published port: its host port, on loopback unless bound to one specific address', () => {
    expect(hostTargetOf(row(), cfg, 8080)).toEqual({ host: '127.0.0.1', port: 40001 });
    expect(hostTargetOf(row(), { ...cfg, publishHostIp: '0.0.0.0' }, 8080)).toEqual({ host: '127.0.0.1', port: 40001 });
    expect(hostTargetOf(row(), { ...cfg, publishHostIp: '::' }, 8080)?.host).toBe('127.0.0.1');
    expect(hostTargetOf(row(), { ...cfg, publishHostIp: '10.1.2.3' }, 8080)).toEqual({ host: '10.1.2.3', port: 40001 });
    expect(hostTargetOf(row(), { ...cfg, publishHostIp: '[fd00::1]' }, 8080)?.host).toBe('fd00::1');
  });

  it('an unpublished port has no host-side target: it is the container IP on the same port, asked of the engine', async () => {
    expect(hostTargetOf(row(), cfg, 3000)).toBeNull();
    const rt = runtime();
    expect(await containerTargetOf(rt, row(), 3000)).toEqual({ host: '172.17.0.5', port: 3000 });
    expect(rt.calls).toEqual(['c1']);
  });

  it('never forwards the execd port, even when published: berth serves it itself', async () => {
    expect(await code(() => hostTargetOf(row(), cfg, 44772))).toBe('not_found GENERAL::NOT_FOUND');
  });

  it('refuses a sandbox that is not Running, runs on another host, or whose container has no address', async () => {
    expect(await code(() => hostTargetOf(row({ state: 'Paused' }), cfg, 8080))).toBe('conflict DOCKER::SANDBOX_NOT_RUNNING');
    expect(await code(() => hostTargetOf(row({ hostId: 'h2' }), cfg, 3000))).toBe('conflict SANDBOX::PROXY_OTHER_HOST');
    expect(await code(() => hostTargetOf(row({ ports: {} }), cfg, 8080))).toBe('conflict DOCKER::SANDBOX_NOT_RUNNING');
    expect(await code(() => containerTargetOf(runtime(null), row(), 3000))).toBe('conflict DOCKER::SANDBOX_NOT_RUNNING');
    expect(await code(() => containerTargetOf(runtime(), row({ containerId: null }), 3000))).toBe('conflict DOCKER::SANDBOX_NOT_RUNNING');
    expect(await code(() => containerTargetOf(runtime({ paused: true }), row(), 3000))).toBe('conflict DOCKER::SANDBOX_NOT_RUNNING');
    expect(await code(() => containerTargetOf(runtime({ ipAddress: null }), row(), 3000))).toBe('runtime DOCKER::NETWORK_MODE_ENDPOINT_UNAVAILABLE');
  });
});
