import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';

/** A free loopback port (Docker treats 127.0.0.0/8 registries as insecure, so plain HTTP works). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export type Registry = { host: string; username: string; password: string; stop: () => Promise<void> };

/**
 * Debian's docker-registry (distribution 2.8) with htpasswd auth on a random loopback port, as a child
 * process: the real thing an `image.auth` pull talks to.
 */
export async function startRegistry(): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-'));
  const username = 'berth';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const htpasswd = spawnSync('htpasswd', ['-Bbn', username, password], { encoding: 'utf8' });
  if (htpasswd.status !== 0) throw new Error(`htpasswd failed: ${htpasswd.stderr}`);
  writeFileSync(join(dir, 'htpasswd'), htpasswd.stdout);
  const port = await freePort();
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${dir}/data } }`,
      `http: { addr: 127.0.0.1:${port} }`,
      `auth: { htpasswd: { realm: berth-test, path: ${dir}/htpasswd } }`,
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  // 30 s: docker-registry can take seconds to listen on a busy machine; one that never does fails here, by name
  let ready = false;
  for (let i = 0; i < 300 && !ready; i++) {
    ready = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === 401,
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 100));
  }
  if (!ready) {
    child.kill();
    throw new Error(`docker-registry did not answer on ${host} within 30 s`);
  }
  return {
    host,
    username,
    password,
    stop: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill()))),
  };
}

/** Push a local image into the registry under `repo:tag`, then drop the local tag so a create must pull. */
export async function pushToRegistry(reg: Registry, localImage: string, repo: string, tag: string): Promise<string> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const ref = `${reg.host}/${repo}`;
  await docker.getImage(localImage).tag({ repo: ref, tag });
  const stream = await docker.getImage(`${ref}:${tag}`).push({ authconfig: { username: reg.username, password: reg.password, serveraddress: reg.host } });
  const out = await new Promise<Array<{ error?: string }>>((resolve, reject) => docker.modem.followProgress(stream, (e, o) => (e ? reject(e) : resolve(o))));
  const bad = out.find((o) => o.error);
  if (bad) throw new Error(`push failed: ${bad.error}`);
  await docker.getImage(`${ref}:${tag}`).remove();
  return `${ref}:${tag}`;
}
