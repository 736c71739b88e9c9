import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachProxyUpgrade } from '../../src/http/proxy/upgrade.js';
import { TEST_API_KEY } from '../helpers/app.js';
import { buildExecdApp, type ExecdApp } from '../helpers/execd-app.js';
import { listenOnRandomPort, type Listening } from '../helpers/listen.js';
import { ensureShellLessImage } from '../helpers/shell-less-image.js';
import { waitForValue } from '../helpers/wait.js';

type Frame = { kind: 'json'; value: Record<string, unknown> } | { kind: 'bin'; channel: number; offset?: number; text: string };

/** A PTY client over a real socket: every frame it got, text decoded, and helpers to wait on them. */
class Client {
  frames: Frame[] = [];
  closed: Promise<{ code: number; reason: string }>;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return void this.frames.push({ kind: 'json', value: JSON.parse(data.toString('utf8')) as Record<string, unknown> });
      const channel = data[0]!;
      if (channel === 3) this.frames.push({ kind: 'bin', channel, offset: Number(data.readBigUInt64BE(1)), text: data.subarray(9).toString('utf8') });
      else this.frames.push({ kind: 'bin', channel, text: data.subarray(1).toString('utf8') });
    });
    this.closed = new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  }
  output(channel?: number): string {
    return this.frames
      .filter((f): f is Extract<Frame, { kind: 'bin' }> => f.kind === 'bin' && (channel === undefined || f.channel === channel))
      .map((f) => f.text)
      .join('');
  }
  json(type: string) {
    return this.frames.flatMap((f) => (f.kind === 'json' && f.value.type === type ? [f.value] : []));
  }
  waitOutput(needle: string, channel?: number) {
    return waitForValue(() => (this.output(channel).includes(needle) ? true : undefined), 15_000);
  }
  waitJson(type: string) {
    return waitForValue(() => this.json(type)[0], 15_000);
  }
  stdin(text: string) {
    this.ws.send(Buffer.concat([Buffer.of(0), Buffer.from(text)]));
  }
  control(frame: Record<string, unknown>) {
    this.ws.send(JSON.stringify(frame));
  }
}

describe('execd PTY over a real WebSocket on a real engine', () => {
  let t: ExecdApp;
  let http: Listening;
  let sandbox: string;
  const ptyPath = (sid: string, rest = '') => `/v1/sandboxes/${sandbox}/proxy/44772/pty${sid ? `/${sid}` : ''}${rest}`;

  /** Open the session's socket: a Client once upgraded, or the refusal's status and JSON body. */
  const connect = (sid: string, query = '', headers: Record<string, string> = { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY }) =>
    new Promise<Client | { status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const ws = new WebSocket(`${http.base.replace('http', 'ws')}${ptyPath(sid, '/ws')}${query ? `?${query}` : ''}`, { headers });
      const client = new Client(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body || '{}') as Record<string, unknown> }));
      });
      ws.once('error', reject);
    });
  const open = async (sid: string, query = '') => {
    const c = await connect(sid, query);
    if (!(c instanceof Client)) throw new Error(`connect refused: ${c.status} ${JSON.stringify(c.body)}`);
    return c;
  };
  const create = async (body: Record<string, unknown> = {}) => {
    const res = await t.execd(sandbox, '/pty', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { session_id: string }).session_id;
  };
  const status = async (sid: string) =>
    (await t.execd(sandbox, `/pty/${sid}`)).json() as Promise<{ session_id: string; running: boolean; output_offset: number }>;

  beforeAll(async () => {
    t = await buildExecdApp('postgres');
    http = await listenOnRandomPort(t.app.fetch);
    attachProxyUpgrade(http.server, t.deps);
    sandbox = await t.createSandbox();
  });
  afterAll(async () => {
    await http.close();
    await t.close();
  });

  it('runs a shell on first connect: connected frame, echo, resize, exit code, then close', async () => {
    const sid = await create({ cwd: '/tmp/pty-work' });
    expect(await status(sid)).toEqual({ session_id: sid, running: false, output_offset: 0 });
    const c = await open(sid);
    expect(c.frames[0]).toEqual({ kind: 'json', value: { type: 'connected', session_id: sid, mode: 'pty' } });
    expect((await status(sid)).running).toBe(true);
    // h""i: the terminal echoes the typed line, only the command's output says "hi" unquoted
    c.stdin('echo h""i; pwd\n');
    await c.waitOutput('hi\r\n');
    await c.waitOutput('/tmp/pty-work');
    c.control({ type: 'resize', cols: 123, rows: 45 });
    c.stdin('stty size\n');
    await c.waitOutput('45 123');
    c.control({ type: 'ping' });
    await c.waitJson('pong');
    c.stdin('exit 3\n');
    expect(await c.waitJson('exit')).toEqual({ type: 'exit', exit_code: 3 });
    expect((await c.closed).code).toBe(1000);
    const after = await status(sid);
    expect(after.running).toBe(false);
    expect(after.output_offset).toBeGreaterThan(0);
  });

  it('pipe mode splits stdout and stderr; a signal reaches the process group', async () => {
    const sid = await create({ command: 'sleep 1; echo out; echo err >&2; exec sleep 30' });
    const c = await open(sid, 'pty=0');
    expect(c.frames[0]).toMatchObject({ kind: 'json', value: { type: 'connected', mode: 'pipe' } });
    await c.waitOutput('out\n', 1);
    await c.waitOutput('err\n', 2);
    expect(c.output(1)).not.toContain('err');
    c.control({ type: 'signal', signal: 'SIGTERM' });
    expect((await c.waitJson('exit')).exit_code).toBe(143);
  });

  it('refuses a missing or wrong API key with 401 JSON before anything starts', async () => {
    const sid = await create();
    const missing = await connect(sid, '', {});
    expect(missing).toEqual({ status: 401, body: expect.objectContaining({ code: 'MISSING_API_KEY' }) });
    const wrong = await connect(sid, '', { 'OPEN-SANDBOX-API-KEY': 'nope' });
    expect(wrong).toEqual({ status: 401, body: expect.objectContaining({ code: 'INVALID_API_KEY' }) });
    expect(await status(sid)).toMatchObject({ running: false, output_offset: 0 });
    expect((await t.app.request(ptyPath(sid))).status).toBe(401);
  });

  it('one holder: a second client gets 409 ALREADY_CONNECTED, takeover=1 evicts with 4001 and keeps the shell', async () => {
    const sid = await create();
    const a = await open(sid);
    a.stdin('MARK=al""ive; echo holder_$MARK\n');
    await a.waitOutput('holder_alive');
    const refused = await connect(sid);
    expect(refused).toEqual({ status: 409, body: expect.objectContaining({ code: 'ALREADY_CONNECTED' }) });
    const b = await open(sid, 'takeover=1&since=0');
    expect(await a.closed).toEqual({ code: 4001, reason: 'TAKEN_OVER' });
    expect(b.frames[0]).toMatchObject({ kind: 'json', value: { type: 'connected', session_id: sid } });
    const replay = b.frames.find((f) => f.kind === 'bin' && f.channel === 3);
    expect(replay).toMatchObject({ offset: 0 });
    expect(replay && 'text' in replay && replay.text).toContain('holder_alive');
    b.stdin('echo again_$MARK\n');
    await b.waitOutput('again_alive');
    // since= beyond what was missed replays only the tail
    b.ws.close();
    await b.closed;
    const total = (await status(sid)).output_offset;
    const c = await open(sid, `since=${total - 5}`);
    expect(c.frames[1]).toMatchObject({ kind: 'bin', channel: 3, offset: total - 5 });
    c.ws.close();
  });

  it('DELETE kills the process group, closes the client and forgets the session', async () => {
    const sid = await create();
    const c = await open(sid);
    c.stdin('sleep 1234 & sleep 4321\n');
    const top = async () => (await t.docker.getContainer(await containerOf()).top()).Processes?.map((p: string[]) => p.join(' ')).join('\n') ?? '';
    await waitForValue(async () => ((await top()).includes('sleep 4321') ? true : undefined), 10_000);
    const res = await t.execd(sandbox, `/pty/${sid}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('0');
    expect((await c.closed).code).toBe(1000);
    await waitForValue(async () => (/sleep (1234|4321)/.test(await top()) ? undefined : true), 10_000);
    const gone = await t.execd(sandbox, `/pty/${sid}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: 'CONTEXT_NOT_FOUND' });
  });

  it('answers errors before upgrading: unknown session 404, plain GET 400, paused sandbox 409', async () => {
    expect(await connect('pty_nope')).toEqual({ status: 404, body: expect.objectContaining({ code: 'CONTEXT_NOT_FOUND' }) });
    const plain = await t.execd(sandbox, '/pty/x/ws');
    expect(plain.status).toBe(400);
    const bad = await t.execd(sandbox, '/pty', { method: 'POST', body: '{"cwd": 5}' });
    expect(bad.status).toBe(400);
    const sid = await create();
    expect((await t.api(`/v1/sandboxes/${sandbox}/pause`, { method: 'POST' })).status).toBe(202);
    expect(await connect(sid)).toEqual({ status: 409, body: expect.objectContaining({ code: 'SANDBOX_PAUSED' }) });
    expect((await status(sid)).running).toBe(false);
    expect((await t.api(`/v1/sandboxes/${sandbox}/resume`, { method: 'POST' })).status).toBe(202);
  });

  it('answers 400 NOT_SUPPORTED at once for an image without /bin/sh, before any WebSocket', async () => {
    const bare = await t.createSandbox({ image: { uri: await ensureShellLessImage(t.docker) }, entrypoint: ['/busybox', 'sleep', '3600'] });
    const res = await t.execd(bare, '/pty', { method: 'POST', body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'NOT_SUPPORTED', message: expect.stringContaining('/bin/sh') });
  });

  async function containerOf(): Promise<string> {
    const list = await t.docker.listContainers({ filters: { label: [`berth.sandbox-id=${sandbox}`] } });
    return list[0]!.Id;
  }
});
