import { mkdir, readdir, realpath, rmdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../domain/ports.js';
import { MountFailure, type Mounter, type MountProbe, type OssfsCredentials, type OssfsSpec, type OssfsVersion } from '../../domain/volumes/mounter-port.js';
import { clip, scrubSecrets } from '../../domain/volumes/scrub.js';
import { prepareCredentialDir, withCredentialFile } from './credential-file.js';
import { isFuse, isShared, readMountinfo, topMountAt } from './mountinfo.js';
import { ossfsCommand, unmountCommands } from './ossfs-command.js';
import { runCommand } from './run-command.js';

export type FuseMounterOptions = {
  root: string;
  ossfsBin: string;
  ossfs2Bin: string;
  log: Logger;
  /** upstream runs the mount command with a 30 s timeout */
  commandTimeoutMs?: number;
  /** how long a fresh mount may take to be listed and answer a readdir */
  readyTimeoutMs?: number;
  unmountTimeoutMs?: number;
  /** make the root a shared mount so repairs propagate into rslave binds (needs CAP_SYS_ADMIN) */
  makeRootShared?: boolean;
  /** berth's own 0700 folder for the credentials files (never a shared temp dir); swept before the first mount */
  credentialDir: string;
};

const DEAD_CODES = new Set(['ENOTCONN', 'ECONNABORTED', 'EIO', 'ESTALE', 'ETIMEDOUT']);
const MOUNT_NAME = /^mnt_[0-9a-z]+$/;
const REPAIR_NAME = /^\.repair-(mnt_[0-9a-z]+)-(\d+)$/;
/** How long a mount may take to show in mountinfo after its command returned. */
const NOT_LISTED_GRACE_MS = 1500;
/** A repair directory younger than this belongs to a repair in progress (maybe in another process). */
const REPAIR_GRACE_MS = 5 * 60_000;

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, sleep(ms).then(() => Promise.reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })))]);

/**
 * The host side of ossfs mounts: builds upstream's command lines (ossfs-command.ts), runs them without a
 * shell, and never trusts the exit status alone (s3fs-style tools exit 0 on a mount that is dead or about
 * to vanish): a mount counts once /proc/self/mountinfo lists a FUSE mount at the path AND a readdir
 * through it succeeds AND it is still listed afterwards.
 */
export function createFuseMounter(opts: FuseMounterOptions): Mounter {
  const root = posix.normalize(opts.root).replace(/\/+$/, '') || '/';
  const commandTimeoutMs = opts.commandTimeoutMs ?? 30_000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  const unmountTimeoutMs = opts.unmountTimeoutMs ?? 20_000;
  let realRoot: string | null = null;
  let credentialDir: string | null = null;
  let prepared: Promise<{ propagation: 'rslave' | null }> | null = null;

  // mountinfo lists resolved paths; ledger paths use the root as configured.
  const real = (p: string) => (realRoot && p.startsWith(`${root}/`) ? realRoot + p.slice(root.length) : p);

  async function prepareRoot() {
    prepared ??= (async () => {
      // First: whatever a crash left in the credentials folder goes before this process mounts anything.
      credentialDir = await prepareCredentialDir(opts.credentialDir, opts.log);
      await mkdir(root, { recursive: true, mode: 0o755 });
      realRoot = await realpath(root);
      if (opts.makeRootShared === false) return { propagation: null };
      const top = topMountAt(await readMountinfo(), realRoot);
      if (top && isShared(top)) return { propagation: 'rslave' as const };
      // A bind of the root onto itself gives it its own mount to mark shared; then every FUSE mount under
      // it is shared too, and a container's rslave bind receives the mounts later stacked on it (repair).
      if (!top) await runCommand('mount', ['--bind', realRoot, realRoot], { timeoutMs: 10_000 });
      const r = await runCommand('mount', ['--make-shared', realRoot], { timeoutMs: 10_000 });
      const now = topMountAt(await readMountinfo(), realRoot);
      if (r.code === 0 && now && isShared(now)) return { propagation: 'rslave' as const };
      opts.log.warn({ root, stderr: clip(r.stderr) }, 'mount root could not be made shared; a repaired mount will reach new sandboxes only');
      return { propagation: null };
    })().catch((err) => {
      prepared = null; // e.g. the root could not be created: try again next time rather than fail forever
      throw err;
    });
    return prepared;
  }

  async function runMountCommand(path: string, spec: OssfsSpec, creds: OssfsCredentials): Promise<void> {
    const secrets = [creds.accessKeySecret, creds.accessKeyId];
    await withCredentialFile(
      spec.version === '1.0' ? 'berth-ossfs-passwd' : 'berth-ossfs2-conf',
      ossfsCommand(opts, path, spec, creds, '/dev/null').credentialFile,
      async (file) => {
        const cmd = ossfsCommand(opts, path, spec, creds, file);
        const r = await runCommand(cmd.bin, cmd.args, { timeoutMs: commandTimeoutMs });
        if (r.code === 0) return;
        const stderr = clip(scrubSecrets(r.stderr || r.stdout, secrets));
        const how = r.timedOut ? `timed out after ${commandTimeoutMs} ms` : r.code === null ? 'could not be run' : `exited with code ${r.code}`;
        throw new MountFailure(`${posix.basename(cmd.bin)} ${how}: ${stderr}`, stderr);
      },
      credentialDir!,
    );
  }

  async function waitReady(path: string): Promise<void> {
    const started = Date.now();
    const deadline = started + readyTimeoutMs;
    let seen = false;
    let last = 'not listed in mountinfo';
    for (;;) {
      const top = topMountAt(await readMountinfo(), path);
      if (top && isFuse(top)) {
        seen = true;
        try {
          await withTimeout(readdir(path), Math.max(1000, deadline - Date.now()));
          const again = topMountAt(await readMountinfo(), path);
          if (again && isFuse(again)) return;
          last = 'the mount went away right after mounting (wrong bucket, endpoint or credentials?)';
        } catch (err) {
          last = (err as NodeJS.ErrnoException).code ?? String(err);
          if (last === 'ENOTCONN') break;
        }
      } else if (seen || Date.now() - started > NOT_LISTED_GRACE_MS) {
        // The tools mount before they daemonize, so a mount that is not listed soon after the command
        // returned is gone already: s3fs-style tools exit 0 and then give up on a bad bucket or key.
        last = 'the mount went away right after mounting (wrong bucket, endpoint or credentials?)';
        break;
      }
      if (Date.now() > deadline) break;
      await sleep(20);
    }
    await unmountLayers(path, '2.0').catch(() => {});
    throw new MountFailure(`the mount did not become ready: ${last}`, '');
  }

  async function unmountLayers(path: string, version: OssfsVersion): Promise<void> {
    for (let layer = 0; layer < 10; layer++) {
      if (!topMountAt(await readMountinfo(), path)) return;
      const errors: string[] = [];
      let ok = false;
      for (const c of unmountCommands(version, path)) {
        const r = await runCommand(c.bin, c.args, { timeoutMs: unmountTimeoutMs });
        if (r.code === 0) {
          ok = true;
          break;
        }
        errors.push(`${c.bin}: ${clip(r.stderr, 300)}`);
      }
      if (!ok) throw new MountFailure(`unmount of ${path} failed: ${errors.join('; ')}`, errors.join('; '));
    }
    throw new MountFailure(`unmount of ${path} failed: still mounted after 10 layers`, '');
  }

  async function probe(hostPath: string, o: { deep?: boolean } = {}): Promise<MountProbe> {
    await prepareRoot();
    const path = real(hostPath);
    const top = topMountAt(await readMountinfo(), path);
    if (!top) return { state: 'absent' };
    if (!isFuse(top)) return { state: 'foreign', detail: top.fsType };
    try {
      await withTimeout<unknown>(o.deep ? readdir(path) : stat(path), 5000);
      return { state: 'mounted' };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return DEAD_CODES.has(code) ? { state: 'dead', detail: code } : { state: 'mounted', detail: code };
    }
  }

  return {
    root,
    prepareRoot,
    probe,

    async mount(hostPath, spec, creds) {
      await prepareRoot();
      await mkdir(hostPath, { recursive: true, mode: 0o755 });
      const path = real(hostPath);
      if (topMountAt(await readMountinfo(), path)) throw new MountFailure(`${hostPath} is already a mount point`, '');
      await runMountCommand(path, spec, creds);
      await waitReady(path);
    },

    async repair(hostPath, spec, creds) {
      await prepareRoot();
      const path = real(hostPath);
      const stage = `${posix.dirname(path)}/.repair-${posix.basename(path)}-${Date.now()}`;
      await mkdir(stage, { recursive: true, mode: 0o755 });
      try {
        await runMountCommand(stage, spec, creds);
        await waitReady(stage);
        // Stack the fresh mount on the dead one instead of unmounting it: the bind propagates to every
        // rslave copy of the dead mount, so running sandboxes see the repaired mount at once.
        const r = await runCommand('mount', ['--bind', stage, path], { timeoutMs: 10_000 });
        if (r.code !== 0) {
          opts.log.warn({ hostPath, stderr: clip(r.stderr) }, 'repair bind failed; remounting in place (running sandboxes keep the dead mount)');
          await unmountLayers(path, spec.version);
          await mkdir(path, { recursive: true, mode: 0o755 });
          await runMountCommand(path, spec, creds);
          await waitReady(path);
        }
      } finally {
        await unmountLayers(stage, spec.version).catch(() => {});
        await rmdir(stage).catch(() => {});
      }
      const after = await probe(hostPath, { deep: true });
      if (after.state !== 'mounted') throw new MountFailure(`the repaired mount does not answer: ${after.detail ?? after.state}`, '');
    },

    async unmount(hostPath, version) {
      await prepareRoot();
      const path = real(hostPath);
      await unmountLayers(path, version);
      await rmdir(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') opts.log.warn({ hostPath, code: err.code }, 'mount directory not removed');
      });
    },

    async scanRoot() {
      await prepareRoot();
      const base = realRoot!;
      const now = Date.now();
      const ours = (name: string) => {
        if (MOUNT_NAME.test(name)) return true;
        const m = REPAIR_NAME.exec(name);
        return m !== null && now - Number(m[2]) > REPAIR_GRACE_MS;
      };
      const mounted = new Set<string>();
      for (const e of await readMountinfo()) {
        if (!e.mountPoint.startsWith(`${base}/`)) continue;
        const name = e.mountPoint.slice(base.length + 1);
        if (!name.includes('/') && ours(name)) mounted.add(`${root}/${name}`);
      }
      const dirs = (await readdir(root, { withFileTypes: true }).catch(() => []))
        .filter((d) => d.isDirectory() && ours(d.name))
        .map((d) => `${root}/${d.name}`);
      return { mounted: [...mounted], dirs };
    },
  };
}
