import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox, SandboxApiException, type ConnectionConfigOptions } from '@alibaba-group/opensandbox';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeInstanceContainers, startServer, TEST_API_KEY, type ServerProc } from '../helpers/server.js';
import { ensureShellLessImage } from '../helpers/shell-less-image.js';

// The official SDK (0.1.11, unchanged) running code and moving files through berth's own execd: a real
// server process, the embedded database, the real Docker engine. Sandbox.create runs its default health check.
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const dataDir = mkdtempSync(join(tmpdir(), 'berth-e2e-execd-'));
let server: ServerProc;
let conn: ConnectionConfigOptions;
// small execd limits, so a background log meets its bound and is read back over several cursors
const LOG_BOUND = 64 * 1024;
const env = { BERTH_EXECD_MAX_BACKGROUND_LOG_BYTES: String(LOG_BOUND), BERTH_EXECD_MAX_LOG_CHUNK_BYTES: String(16 * 1024) };

const create = (extra: Partial<Parameters<typeof Sandbox.create>[0]> = {}, over: Partial<ConnectionConfigOptions> = {}) =>
  Sandbox.create({
    connectionConfig: { ...conn, ...over },
    image: 'berth-base:latest',
    entrypoint: ['tail', '-f', '/dev/null'],
    timeoutSeconds: 600,
    resource: { cpu: '500m', memory: '256Mi' },
    readyTimeoutSeconds: 20,
    ...extra,
  });

async function rejection(p: Promise<unknown>): Promise<SandboxApiException> {
  const e = await p.then(
    () => new Error('expected a rejection'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SandboxApiException);
  return e as SandboxApiException;
}

beforeAll(async () => {
  server = await startServer({ dataDir, env });
  conn = { domain: server.url, apiKey: TEST_API_KEY, requestTimeoutSeconds: 60 };
});
afterAll(async () => {
  await server?.kill();
  if (server) await removeInstanceContainers(server.instanceId);
  rmSync(dataDir, { recursive: true, force: true });
});

describe.each([false, true])('the SDK through berth execd (useServerProxy=%s)', (useServerProxy) => {
  let sbx: Sandbox;
  beforeAll(async () => {
    sbx = await create({}, { useServerProxy });
  });
  afterAll(async () => {
    await sbx?.kill().catch(() => {});
    await sbx?.close();
  });

  it('runs commands: output lines, exit codes, env, cwd, handlers', async () => {
    const seen: string[] = [];
    const ok = await sbx.commands.run(
      'echo hello; echo oops >&2; echo "$A"',
      { envs: { A: 'from-env' }, workingDirectory: '/tmp' },
      {
        onStdout: (m) => void seen.push(m.text),
      },
    );
    expect(ok.logs.stdout.map((m) => m.text)).toEqual(['hello', 'from-env']);
    expect(ok.logs.stderr.map((m) => m.text)).toEqual(['oops']);
    expect(ok.exitCode).toBe(0);
    expect(ok.error).toBeUndefined();
    expect(seen).toEqual(['hello', 'from-env']);
    const failed = await sbx.commands.run('exit 7');
    expect(failed.exitCode).toBe(7);
    expect(failed.error?.name).toBe('CommandExecError');
    const e = await rejection(sbx.commands.run('true', { workingDirectory: '/does/not/exist' }));
    expect(e.statusCode).toBe(400);
  });

  it('runs background commands, reads their logs with a cursor and their status', async () => {
    const bg = await sbx.commands.run('echo a; sleep 0.5; echo b', { background: true });
    expect(bg.id).toBeTruthy();
    let status = await sbx.commands.getCommandStatus(bg.id!);
    for (let i = 0; i < 50 && status.running; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await sbx.commands.getCommandStatus(bg.id!);
    }
    expect(status.running).toBe(false);
    expect(status.exitCode).toBe(0);
    const logs = await sbx.commands.getBackgroundCommandLogs(bg.id!);
    expect(logs.content).toBe('a\nb\n');
    expect(logs.cursor).toBe(4);
    expect((await sbx.commands.getBackgroundCommandLogs(bg.id!, 2)).content).toBe('b\n');
  });

  it('interrupts a running command', async () => {
    let id = '';
    const running = sbx.commands.run('sleep 60', {}, { onInit: (init) => void (id = init.id) });
    while (!id) await new Promise((r) => setTimeout(r, 20));
    await sbx.commands.interrupt(id);
    const done = await running;
    expect(done.exitCode).toBe(-1);
  });

  it('keeps session state between runs', async () => {
    const sid = await sbx.commands.createSession({ workingDirectory: '/tmp' });
    await sbx.commands.runInSession(sid, 'export K=v; cd /etc');
    const r = await sbx.commands.runInSession(sid, 'echo $K; pwd');
    expect(r.logs.stdout.map((m) => m.text)).toEqual(['v', '/etc']);
    await sbx.commands.deleteSession(sid);
  });

  it('interrupts a session run by the id its init gave (upstream closes the session)', async () => {
    const sid = await sbx.commands.createSession();
    let id = '';
    const running = sbx.commands.runInSession(sid, 'sleep 60', undefined, { onInit: (init) => void (id = init.id) });
    while (!id) await new Promise((r) => setTimeout(r, 20));
    expect(id).toBe(sid);
    await sbx.commands.interrupt(id);
    expect((await running).exitCode).toBe(-1);
    expect((await rejection(sbx.commands.runInSession(sid, 'true'))).statusCode).toBe(404);
  });

  it('writes and reads files: 20 MiB, every byte value, ranges, odd names', async () => {
    const big = randomBytes(20 * 1024 * 1024);
    const every = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
    const odd = '/tmp/dir with space/ünï -x $HOME "q".bin';
    await sbx.files.writeFiles([
      { path: '/tmp/big.bin', data: big },
      { path: odd, data: every, mode: 600 },
    ]);
    expect(Buffer.from(await sbx.files.readBytes('/tmp/big.bin')).equals(big)).toBe(true);
    expect(Buffer.from(await sbx.files.readBytes(odd)).equals(Buffer.from(every))).toBe(true);
    expect(Buffer.from(await sbx.files.readBytes(odd, { range: 'bytes=250-259' }))).toEqual(Buffer.from(every.subarray(250, 260)));
    const info = await sbx.files.getFileInfo([odd]);
    expect(info[odd]).toMatchObject({ type: 'file', size: 512, mode: 600, owner: 'root' });
    async function* chunks() {
      for (let i = 0; i < 4; i++) yield new TextEncoder().encode(`part${i};`);
    }
    await sbx.files.writeFiles([{ path: '/tmp/streamed.txt', data: chunks() }]);
    expect(await sbx.files.readFile('/tmp/streamed.txt')).toBe('part0;part1;part2;part3;');
  });

  it('lists, searches, moves, replaces, chmods and deletes', async () => {
    await sbx.files.createDirectories([{ path: '/tmp/tree/sub', mode: 750 }]);
    await sbx.files.writeFiles([{ path: '/tmp/tree/sub/a.txt', data: 'hello world' }]);
    const listed = await sbx.files.listDirectory({ path: '/tmp/tree', depth: 2 });
    expect(listed.map((f) => f.path)).toEqual(['/tmp/tree/sub', '/tmp/tree/sub/a.txt']);
    expect((await sbx.files.search({ path: '/tmp/tree', pattern: '*.txt' })).map((f) => f.path)).toEqual(['/tmp/tree/sub/a.txt']);
    await sbx.files.replaceContents([{ path: '/tmp/tree/sub/a.txt', oldContent: 'world', newContent: 'berth' }]);
    await sbx.files.moveFiles([{ src: '/tmp/tree/sub/a.txt', dest: '/tmp/tree/b.txt' }]);
    expect(await sbx.files.readFile('/tmp/tree/b.txt')).toBe('hello berth');
    await sbx.files.setPermissions([{ path: '/tmp/tree/b.txt', mode: 640 }]);
    expect((await sbx.files.getFileInfo(['/tmp/tree/b.txt']))['/tmp/tree/b.txt']!.mode).toBe(640);
    await sbx.files.deleteFiles(['/tmp/tree/b.txt']);
    await sbx.files.deleteDirectories(['/tmp/tree']);
    expect((await rejection(sbx.files.getFileInfo(['/tmp/tree']))).statusCode).toBe(404);
  });

  it('files edge cases: symlinks, loops, missing paths, ranges, a newline in a name, owners, a stream', async () => {
    const setup = [
      'mkdir -p /tmp/e && echo host-name > /tmp/e/target && ln -s /tmp/e/target /tmp/e/to-file && ln -s /tmp /tmp/e/to-dir',
      'ln -s /nowhere /tmp/e/dangling && ln -s /tmp/e/loop /tmp/e/loop && echo sandbox-only > /etc/shadow',
      'echo alice:x:1000:1000::/home/alice:/bin/sh >> /etc/passwd && echo staff:x:50: >> /etc/group',
    ];
    expect((await sbx.commands.run(setup.join(' && '))).exitCode).toBe(0);
    expect(await sbx.files.readFile('/tmp/e/to-file')).toBe('host-name\n');
    expect(await sbx.files.readFile('/tmp/e/to-dir/e/target')).toBe('host-name\n');
    expect(await sbx.files.readFile('/tmp/../../../etc/shadow')).toBe('sandbox-only\n'); // `..` (lexical) stops at the sandbox's root
    const links = await sbx.files.getFileInfo(['/tmp/e/to-file', '/tmp/e/to-dir', '/tmp/e/dangling']);
    expect(Object.values(links).map((f) => f.type)).toEqual(['symlink', 'symlink', 'symlink']);
    expect((await rejection(sbx.files.readFile('/tmp/e/dangling'))).statusCode).toBe(404);
    expect((await rejection(sbx.files.readFile('/tmp/e/loop'))).statusCode).toBe(400);
    expect((await rejection(sbx.files.getFileInfo(['/tmp/e/missing']))).error.code).toBe('FILE_NOT_FOUND');
    expect((await rejection(sbx.files.listDirectory({ path: '/tmp/e/missing' }))).statusCode).toBe(404);
    await sbx.files.deleteFiles(['/tmp/e/missing']); // idempotent
    await sbx.files.writeFiles([{ path: '/tmp/e/d.txt', data: '0123456789' }]);
    expect(await sbx.files.readFile('/tmp/e/d.txt', { range: 'bytes=-3' })).toBe('789');
    expect(await sbx.files.readFile('/tmp/e/d.txt', { range: 'bytes=7-' })).toBe('789');
    expect((await rejection(sbx.files.readFile('/tmp/e/d.txt', { range: 'bytes=10-' }))).statusCode).toBe(416);
    const nl = '/tmp/e/new\nline.txt';
    await sbx.files.writeFiles([{ path: nl, data: 'nl', owner: 'alice', group: 'staff', mode: 640 }]);
    expect((await sbx.files.search({ path: '/tmp/e', pattern: 'new*' })).map((f) => f.path)).toEqual([nl]);
    expect((await sbx.files.getFileInfo([nl]))[nl]).toMatchObject({ owner: 'alice', group: 'staff', mode: 640, size: 2 });
    await sbx.files.setPermissions([{ path: nl, mode: 600, owner: 'root' }]);
    expect((await sbx.files.getFileInfo([nl]))[nl]).toMatchObject({ owner: 'root', group: 'staff', mode: 600 });
    expect(await sbx.files.replaceContentsDetailed([{ path: '/tmp/e/d.txt', oldContent: '5', newContent: 'five' }])).toEqual([
      { path: '/tmp/e/d.txt', replacedCount: 1 },
    ]);
    let streamed = '';
    for await (const chunk of sbx.files.readBytesStream('/tmp/e/d.txt')) streamed += Buffer.from(chunk).toString();
    expect(streamed).toBe('01234five6789');
    await sbx.files.deleteFiles([nl, '/tmp/e/loop']);
    expect((await sbx.files.listDirectory({ path: '/tmp/e' })).map((f) => f.path)).not.toContain(nl);
  });

  it('reports sandbox metrics', async () => {
    const m = await sbx.getMetrics();
    expect(m.cpuCount).toBeGreaterThan(0);
    expect(m.cpuUsedPercentage).toBeGreaterThanOrEqual(0);
    expect(m.cpuUsedPercentage).toBeLessThanOrEqual(100);
    expect(m.memoryUsedMiB).toBeGreaterThanOrEqual(0);
    expect(m.memoryUsedMiB).toBeLessThanOrEqual(m.memoryTotalMiB);
  });
});

describe('execd edge cases through the SDK', () => {
  it('turns unhealthy while paused and refuses commands there, while files still work', async () => {
    const sbx = await create();
    try {
      await sbx.files.writeFiles([{ path: '/tmp/kept.txt', data: 'kept' }]);
      await sbx.pause();
      expect(await sbx.isHealthy()).toBe(false);
      const e = await rejection(sbx.commands.run('true'));
      expect(e.statusCode).toBe(409);
      expect(await sbx.files.readFile('/tmp/kept.txt')).toBe('kept');
    } finally {
      await sbx.kill();
      await sbx.close();
    }
  });

  it('serves files and metrics in an image without a shell; commands get a clear 400', async () => {
    const image = await ensureShellLessImage(docker);
    const sbx = await create({ image, entrypoint: ['/busybox', 'sleep', '3600'], skipHealthCheck: false });
    try {
      await sbx.files.writeFiles([{ path: '/tmp/x.txt', data: 'no shell needed' }]);
      expect(await sbx.files.readFile('/tmp/x.txt')).toBe('no shell needed');
      expect((await sbx.getMetrics()).cpuCount).toBeGreaterThan(0);
      const e = await rejection(sbx.commands.run('echo hi'));
      expect(e.statusCode).toBe(400);
      expect(e.error.code).toBe('NOT_SUPPORTED');
    } finally {
      await sbx.kill();
      await sbx.close();
    }
  });

  it("cuts a background command's log at its bound; the command still ends with its own exit code", async () => {
    const sbx = await create();
    try {
      // about 2.9 MB of output, 45x the bound, then a file written after it
      const bg = await sbx.commands.run('i=0; while [ $i -lt 100 ]; do seq 1 5000; i=$((i+1)); done; echo end > /tmp/after; exit 3', {
        background: true,
      });
      let status = await sbx.commands.getCommandStatus(bg.id!);
      for (let i = 0; i < 300 && status.running; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await sbx.commands.getCommandStatus(bg.id!);
      }
      expect(status).toMatchObject({ running: false, exitCode: 3 });
      expect(await sbx.files.readFile('/tmp/after')).toBe('end\n');
      let content = '';
      let cursor = 0;
      const reads: number[] = [];
      for (;;) {
        const logs = await sbx.commands.getBackgroundCommandLogs(bg.id!, cursor);
        if (logs.content === '') break;
        reads.push(logs.content.length);
        content += logs.content;
        cursor = logs.cursor!;
      }
      expect(content.length).toBe(LOG_BOUND);
      expect(cursor).toBe(LOG_BOUND);
      expect(reads).toEqual([16384, 16384, 16384, 16384]);
      expect(content.startsWith('1\n2\n3\n')).toBe(true);
    } finally {
      await sbx.kill();
      await sbx.close();
    }
  });

  it('keeps a background command running and its output readable across a berth restart', async () => {
    const sbx = await create();
    const bg = await sbx.commands.run('for i in 1 2 3 4 5 6; do echo line$i; sleep 0.5; done', { background: true });
    await server.kill('SIGKILL');
    server = await startServer({ dataDir, env });
    conn = { ...conn, domain: server.url };
    const again = await Sandbox.connect({ sandboxId: sbx.id, connectionConfig: conn });
    try {
      let status = await again.commands.getCommandStatus(bg.id!);
      for (let i = 0; i < 100 && status.running; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await again.commands.getCommandStatus(bg.id!);
      }
      expect(status.exitCode).toBe(0);
      const logs = await again.commands.getBackgroundCommandLogs(bg.id!);
      expect(logs.content).toBe('line1\nline2\nline3\nline4\nline5\nline6\n');
    } finally {
      await again.kill();
      await again.close();
      await sbx.close();
    }
  });
});
